package serving

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// KServe v2 (Open Inference Protocol) REST endpoints:
//
//	GET  /v2                                   server metadata
//	GET  /v2/models/{name}[/versions/{v}]      model metadata
//	GET  /v2/models/{name}[/versions/{v}]/ready
//	POST /v2/models/{name}[/versions/{v}]/infer
//
// {name} is the server's model name (WithModelName) or a model version.

func (s *Server) v2Server(w http.ResponseWriter) int {
	b := []byte(`{"name":"tweetflow-serve","version":"v2","extensions":[]}` + "\n")
	return writeRaw(w, http.StatusOK, b)
}

// v2Models handles /v2/models/<rest>.
func (s *Server) v2Models(w http.ResponseWriter, r *http.Request, buf *reqBuf, rest string) (route, int) {
	parts := strings.Split(rest, "/")
	name, version, action := parts[0], "", ""
	switch {
	case len(parts) == 1:
	case len(parts) == 2:
		action = parts[1]
	case len(parts) == 3 && parts[1] == "versions":
		version = parts[2]
	case len(parts) == 4 && parts[1] == "versions":
		version, action = parts[2], parts[3]
	default:
		return routeNotFound, writeError(w, &apiError{code: http.StatusNotFound, msg: "no route " + strconv.Quote(r.URL.Path)})
	}
	if name == "" || (len(parts) > 2 && version == "") {
		return routeNotFound, writeError(w, &apiError{code: http.StatusNotFound, msg: "no route " + strconv.Quote(r.URL.Path)})
	}
	rt := routeV2Model
	if action == "infer" {
		rt = routeV2Infer
	}
	switch action {
	case "", "ready":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return rt, methodNotAllowed(w, "GET, HEAD")
		}
	case "infer":
		if r.Method != http.MethodPost {
			return rt, methodNotAllowed(w, "POST")
		}
	default:
		return routeNotFound, writeError(w, &apiError{code: http.StatusNotFound, msg: "no route " + strconv.Quote(r.URL.Path)})
	}
	m, e := s.v2Model(name, version)
	if e != nil {
		return rt, writeError(w, e)
	}
	switch action {
	case "ready":
		return rt, writeRaw(w, http.StatusOK, append(append([]byte(`{"name":`), appendString(nil, name)...), `,"ready":true}`+"\n"...))
	case "infer":
		return rt, s.v2Infer(w, r, buf, name, m)
	}
	return rt, s.v2Metadata(w, name, m)
}

func (s *Server) v2Model(name, version string) (*Model, *apiError) {
	if name != s.cfg.modelName {
		if version != "" && version != name {
			return nil, &apiError{code: http.StatusNotFound, msg: "unknown model " + strconv.Quote(name)}
		}
		version = name
	}
	m, e := s.model(version)
	if e != nil && e.code == http.StatusNotFound {
		e.msg = "unknown model " + strconv.Quote(name)
		if version != name {
			e.msg = "unknown version " + strconv.Quote(version) + " of model " + strconv.Quote(name)
		}
		e.field = ""
	}
	return m, e
}

func (s *Server) v2Metadata(w http.ResponseWriter, name string, m *Model) int {
	b := []byte(`{"name":`)
	b = appendString(b, name)
	b = append(b, `,"versions":[`...)
	for i, v := range s.reg.Current().Models() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v.jsonVersion...)
	}
	b = append(b, `],"platform":"onnx","inputs":[{"name":"text","datatype":"BYTES","shape":[-1]}],`...)
	b = append(b, `"outputs":[{"name":"label","datatype":"BYTES","shape":[-1]},{"name":"probabilities","datatype":"FP32","shape":[-1,`...)
	b = strconv.AppendInt(b, int64(len(m.labels)), 10)
	b = append(b, `]}],"parameters":{"model_version":`...)
	b = append(b, m.jsonVersion...)
	b = append(b, `,"labels":`...)
	b = appendLabels(b, m)
	return writeRaw(w, http.StatusOK, append(b, "}}\n"...))
}

type v2Tensor struct {
	Name     string          `json:"name"`
	Shape    []int64         `json:"shape"`
	Datatype string          `json:"datatype"`
	Data     json.RawMessage `json:"data"`
}

type v2Request struct {
	ID      json.RawMessage `json:"id"`
	Inputs  []v2Tensor      `json:"inputs"`
	Outputs []struct {
		Name string `json:"name"`
	} `json:"outputs"`
}

func (s *Server) v2Infer(w http.ResponseWriter, r *http.Request, buf *reqBuf, name string, m *Model) int {
	if e := s.readBody(w, r, buf); e != nil {
		return writeError(w, e)
	}
	var req v2Request
	if e := unmarshal(buf.body.Bytes(), &req, ""); e != nil {
		return writeError(w, e)
	}
	if isSet(req.ID) && req.ID[0] != '"' {
		return writeError(w, badRequest("id", "id must be a string"))
	}
	var in *v2Tensor
	for i := range req.Inputs {
		if req.Inputs[i].Name == "text" {
			in = &req.Inputs[i]
		}
	}
	if in == nil && len(req.Inputs) == 1 {
		in = &req.Inputs[0]
	}
	if in == nil {
		return writeError(w, badRequest("inputs", `inputs must hold one BYTES tensor named "text"`))
	}
	if in.Datatype != "BYTES" {
		return writeError(w, badRequest("inputs.datatype", "input datatype "+strconv.Quote(in.Datatype)+" is not BYTES"))
	}
	texts, e := flattenStrings(in.Data, buf.texts[:0], 0)
	buf.texts = texts
	if e != nil {
		return writeError(w, e)
	}
	if len(texts) == 0 {
		return writeError(w, badRequest("inputs.data", "inputs.data is empty"))
	}
	n := int64(1)
	for _, d := range in.Shape {
		n *= d
		if d < 0 || n > int64(s.cfg.maxBatch)*4 {
			n = -1
			break
		}
	}
	if len(in.Shape) == 0 || len(in.Shape) > 2 || (len(in.Shape) == 2 && in.Shape[1] != 1) || n != int64(len(texts)) {
		return writeError(w, badRequest("inputs.shape", "shape "+shapeString(in.Shape)+" does not describe "+strconv.Itoa(len(texts))+" texts; use ["+strconv.Itoa(len(texts))+"]"))
	}
	if len(texts) > s.cfg.maxBatch {
		return writeError(w, badRequest("inputs.data", strconv.Itoa(len(texts))+" texts exceed the batch limit of "+strconv.Itoa(s.cfg.maxBatch)))
	}
	for i, t := range texts {
		if !s.textOK(t) {
			if e := s.checkText("inputs.data["+strconv.Itoa(i)+"]", t); e != nil {
				return writeError(w, e)
			}
		}
	}
	wantLabel, wantProbs := len(req.Outputs) == 0, len(req.Outputs) == 0
	for _, o := range req.Outputs {
		switch o.Name {
		case "label":
			wantLabel = true
		case "probabilities":
			wantProbs = true
		default:
			return writeError(w, badRequest("outputs", "unknown output "+strconv.Quote(o.Name)+"; the model has label and probabilities"))
		}
	}
	probs, err := m.PredictInto(buf.probs[:0], texts)
	if err != nil {
		s.cfg.log.Error("predicting", "model_version", m.version, "error", err)
		return writeError(w, &apiError{code: http.StatusInternalServerError, msg: "prediction failed"})
	}
	buf.probs = probs
	s.metrics.texts.Add(uint64(len(texts)))
	c := len(m.labels)
	b := buf.out[:0]
	b = append(b, `{"model_name":`...)
	b = appendString(b, name)
	b = append(b, `,"model_version":`...)
	b = append(b, m.jsonVersion...)
	if isSet(req.ID) {
		b = append(b, `,"id":`...)
		b = append(b, req.ID...)
	}
	b = append(b, `,"outputs":[`...)
	if wantLabel {
		buf.counts = s.countPredictions(m, probs, len(texts), buf.counts)
		b = append(b, `{"name":"label","datatype":"BYTES","shape":[`...)
		b = strconv.AppendInt(b, int64(len(texts)), 10)
		b = append(b, `],"data":[`...)
		for i := range texts {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, m.jsonLabels[argmax(probs[i*c:(i+1)*c])]...)
		}
		b = append(b, "]}"...)
	}
	if wantProbs {
		if wantLabel {
			b = append(b, ',')
		}
		b = append(b, `{"name":"probabilities","datatype":"FP32","shape":[`...)
		b = strconv.AppendInt(b, int64(len(texts)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(c), 10)
		b = append(b, `],"data":[`...)
		for i, p := range probs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, p)
		}
		b = append(b, "]}"...)
	}
	b = append(b, `],"parameters":{"labels":`...)
	b = appendLabels(b, m)
	b = append(b, "}}\n"...)
	buf.out = b
	return writeRaw(w, http.StatusOK, b)
}

func shapeString(s []int64) string {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, d, 10)
	}
	return string(append(b, ']'))
}

// flattenStrings reads a JSON array of strings, possibly nested one level
// ([[..],[..]] for shape [n, 1]), appending to dst.
func flattenStrings(raw json.RawMessage, dst []string, depth int) ([]string, *apiError) {
	if !isSet(raw) {
		return dst, badRequest("inputs.data", "inputs.data is missing")
	}
	if raw[0] != '[' {
		return dst, badRequest("inputs.data", "inputs.data must be an array of strings")
	}
	var items []json.RawMessage
	if e := unmarshal(raw, &items, "inputs.data"); e != nil {
		return dst, e
	}
	for _, it := range items {
		if len(it) > 0 && it[0] == '[' && depth == 0 {
			var e *apiError
			if dst, e = flattenStrings(it, dst, depth+1); e != nil {
				return dst, e
			}
			continue
		}
		var t string
		if e := unmarshalString(it, &t, "inputs.data["+strconv.Itoa(len(dst))+"]"); e != nil {
			return dst, e
		}
		dst = append(dst, t)
	}
	return dst, nil
}
