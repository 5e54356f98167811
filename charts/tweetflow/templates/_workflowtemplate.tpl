{{- /*
tweetflow.workflowTemplate renders one compiled pipeline (a copy, in the
chart's files/, of pipelines/<name>/generated/workflowtemplate.yaml kept equal
by internal/chartcheck) with this release's images, S3 secret, service
account, security context and parameter defaults. Include it with

  (dict "ctx" $ "file" "files/workflowtemplate.yaml"
        "source" "pipelines/training/generated/workflowtemplate.yaml"
        "parameters" .Values.workflow.parameters "valuesKey" "workflow.parameters")

"parameters" are the defaults to set, by parameter name; "valuesKey" names
where they come from in error messages. Argo's {{...}} expressions in the file
are data here, not Helm template code.
*/}}
{{- define "tweetflow.workflowTemplate" -}}
{{- $ctx := .ctx }}
{{- $file := .file }}
{{- $key := .valuesKey }}
{{- $raw := $ctx.Files.Get $file }}
{{- if not $raw }}
{{- fail (printf "%s is missing from the chart: copy %s there (make generate, or go test ./internal/chartcheck -run TestChartCopy -update)" $file .source) }}
{{- end }}
{{- $wt := fromYaml $raw }}
{{- if hasKey $wt "Error" }}
{{- fail (printf "parsing %s: %s" $file $wt.Error) }}
{{- end }}
{{- $w := $ctx.Values.workflow }}
{{- $meta := $wt.metadata }}
{{- $_ := set $meta "namespace" $ctx.Release.Namespace }}
{{- $labels := merge (include "tweetflow.labels" $ctx | fromYaml) (dict "app.kubernetes.io/component" "workflow") ($meta.labels | default dict) }}
{{- $_ = set $meta "labels" $labels }}
{{- $spec := $wt.spec }}
{{- $_ = set $spec "serviceAccountName" (include "tweetflow.workflowServiceAccount" $ctx) }}
{{- with $w.podSecurityContext }}
{{- $_ = set $spec "securityContext" . }}
{{- end }}
{{- if gt (int $w.ttlSecondsAfterFinished) 0 }}
{{- $_ = set $spec "ttlStrategy" (dict "secondsAfterCompletion" (int $w.ttlSecondsAfterFinished)) }}
{{- end }}
{{- with $w.podGCStrategy }}
{{- $_ = set $spec "podGC" (dict "strategy" .) }}
{{- end }}
{{- if gt (int $w.activeDeadlineSeconds) 0 }}
{{- $_ = set $spec "activeDeadlineSeconds" (int $w.activeDeadlineSeconds) }}
{{- end }}
{{- with $ctx.Values.image.pullSecrets }}
{{- $secrets := list }}
{{- range . }}
{{- $secrets = append $secrets (dict "name" .) }}
{{- end }}
{{- $_ = set $spec "imagePullSecrets" $secrets }}
{{- end }}
{{- with $w.nodeSelector }}
{{- $_ = set $spec "nodeSelector" . }}
{{- end }}
{{- with $w.tolerations }}
{{- $_ = set $spec "tolerations" . }}
{{- end }}
{{- $_ = set $spec "volumes" (append ($spec.volumes | default list) (dict "name" "tweetflow-tmp" "emptyDir" dict)) }}

{{- /* Parameter defaults: the values, and the store in this release's bucket. */}}
{{- $overrides := merge (dict) (.parameters | default dict) }}
{{- if not (hasKey $overrides "store") }}
{{- $_ = set $overrides "store" (printf "s3://%s" $ctx.Values.s3.bucket) }}
{{- end }}
{{- $known := list }}
{{- range $p := $spec.arguments.parameters }}
{{- $known = append $known $p.name }}
{{- if hasKey $overrides $p.name }}
{{- $v := get $overrides $p.name | toString }}
{{- if and $p.enum (not (has $v $p.enum)) }}
{{- fail (printf "%s.%s: %q is not one of %s" $key $p.name $v (join ", " $p.enum)) }}
{{- end }}
{{- $_ = set $p "value" $v }}
{{- end }}
{{- end }}
{{- range $name, $_ := $overrides }}
{{- if not (has $name $known) }}
{{- fail (printf "%s.%s: the pipeline %s has no parameter %q (it has: %s)" $key $name $meta.name $name (join ", " $known)) }}
{{- end }}
{{- end }}

{{- /* Component containers: image, pull policy, security, resources, /tmp, S3 env. */}}
{{- $s3env := include "tweetflow.s3Env" $ctx | fromYamlArray }}
{{- range $t := $spec.templates }}
{{- with $t.container }}
{{- $c := . }}
{{- /* One image per binary (images/build): name it after the command. */}}
{{- $component := $t.name }}
{{- with $c.command }}
{{- $component = first . | base }}
{{- end }}
{{- $_ := set $c "image" (include "tweetflow.image" (dict "ctx" $ctx "component" $component)) }}
{{- $_ = set $c "imagePullPolicy" $ctx.Values.image.pullPolicy }}
{{- with $w.securityContext }}
{{- $_ = set $c "securityContext" . }}
{{- end }}
{{- if and $w.resources (not $c.resources) }}
{{- $_ = set $c "resources" $w.resources }}
{{- end }}
{{- $_ = set $c "volumeMounts" (append ($c.volumeMounts | default list) (dict "name" "tweetflow-tmp" "mountPath" "/tmp")) }}
{{- $env := list }}
{{- range $c.env }}
{{- if not (hasPrefix "TWEETFLOW_S3_" .name) }}
{{- $env = append $env . }}
{{- end }}
{{- end }}
{{- $_ = set $c "env" (concat $env $s3env) }}
{{- end }}
{{- end }}
{{- toYaml $wt }}
{{- end }}
