package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
)

// Serve is the model server. Like annotate and dashboard it is a server,
// not a pipeline step: it runs until SIGTERM/SIGINT and then exits 0.
// Its limit defaults are those of package serving (checked by the serve
// component's tests).
var Serve = c.Contract{
	Name:    "serve",
	Summary: "Serve tweet sentiment models over HTTP (JSON and KServe v2)",
	Description: "Loads exported models (export-onnx output folders, local or s3://) and answers POST /predict, " +
		"KServe v2 inference, /healthz, /readyz and /metrics. SIGHUP, every --reload-interval, or POST /admin/reload reloads the models " +
		"(the endpoint takes --admin-token; without one it is open only on a loopback --addr). " +
		"A local model folder without _SUCCESS.json is served as is unless it has a _staging area (an output whose commit did not finish): that is refused. " +
		"SIGTERM marks /readyz not ready for --drain-delay, drains requests in flight (for at most --shutdown-timeout) and exits 0.",
	Params: []c.Param{
		{Name: "model-name", Default: "tweetflow", Description: "Model name of the KServe v2 endpoints."},
		{Name: "reload-interval", Type: c.Duration, Default: "30s", Min: c.F(0), Description: "Poll the model source for new or changed versions this often (0 disables; SIGHUP and POST /admin/reload always reload)."},
		{Name: "addr", Default: ":8080", Description: "Listen address."},
		{Name: "max-body-bytes", Type: c.Int, Default: "1048576", Min: c.F(1), Description: "Largest request body; larger ones get 413."},
		{Name: "max-text-chars", Type: c.Int, Default: "2000", Min: c.F(1), Description: "Longest text in characters."},
		{Name: "max-batch", Type: c.Int, Default: "4096", Min: c.F(1), Description: "Most texts in one request."},
		{Name: "read-timeout", Type: c.Duration, Default: "10s", Min: c.F(0), Description: "Time to read a whole request."},
		{Name: "write-timeout", Type: c.Duration, Default: "30s", Min: c.F(0), Description: "Time to answer a request."},
		{Name: "idle-timeout", Type: c.Duration, Default: "2m", Min: c.F(0), Description: "Keep-alive connections idle this long are closed."},
		{Name: "shutdown-timeout", Type: c.Duration, Default: "20s", Min: c.F(0), Description: "On SIGTERM, wait this long for requests in flight."},
		{Name: "drain-delay", Type: c.Duration, Default: "0s", Min: c.F(0), Description: "On SIGTERM, answer /readyz with 503 this long before closing the listener (lets load balancers notice)."},
		{Name: "admin-token", Secret: true, Description: "Token POST /admin/reload requires as 'Authorization: Bearer <token>' (prefer the env var: flags show in process lists); empty: the endpoint is open on a loopback --addr and disabled (403) on any other."},
		{Name: "debug-addr", Description: "Serve Go's pprof profiles on this separate address (e.g. 127.0.0.1:6060); empty disables."},
		{Name: "log-requests", Type: c.Bool, Default: "true", Description: "Write a JSON access log line per request to stderr."},
		{Name: "log-sample", Type: c.Int, Default: "1", Min: c.F(1), Description: "Log only every N-th request."},
	},
	Inputs: []c.Artifact{
		{Name: "model", Kind: c.Files, List: true, Optional: true,
			Description: "model folder(s) to serve, each one version (export-onnx output); give --model or --models-dir"},
		{Name: "models-dir", Kind: c.Files, Optional: true,
			Description: "folder with one model folder per version, rescanned on reload"},
	},
	NoCache: true, // a server: nothing to reuse
}
