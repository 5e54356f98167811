{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "tweetflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "tweetflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "tweetflow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "tweetflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "tweetflow.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tweetflow
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: include with (dict "ctx" $ "component" "server"). */}}
{{- define "tweetflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tweetflow.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Image tag of the tweetflow images. */}}
{{- define "tweetflow.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Image of one tweetflow component: include with (dict "ctx" $ "component" "ingest"). */}}
{{- define "tweetflow.image" -}}
{{- $v := .ctx.Values.image }}
{{- printf "%s/%s%s:%s" (trimSuffix "/" $v.registry) $v.namePrefix .component (include "tweetflow.tag" .ctx) }}
{{- end }}

{{/* Image of the model server. */}}
{{- define "tweetflow.serverImage" -}}
{{- $s := .Values.server.image }}
{{- if $s.repository }}
{{- printf "%s:%s" $s.repository ($s.tag | default (include "tweetflow.tag" .)) }}
{{- else if $s.tag }}
{{- $v := .Values.image }}
{{- printf "%s/%sserve:%s" (trimSuffix "/" $v.registry) $v.namePrefix $s.tag }}
{{- else }}
{{- include "tweetflow.image" (dict "ctx" . "component" "serve") }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the S3 settings. */}}
{{- define "tweetflow.s3SecretName" -}}
{{- .Values.s3.existingSecret | default (printf "%s-s3" (include "tweetflow.fullname" .)) }}
{{- end }}

{{/* Name of the MinIO Deployment and Service. */}}
{{- define "tweetflow.minioName" -}}
{{- printf "%s-minio" (include "tweetflow.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* S3 endpoint host:port: the value, else the chart's MinIO when enabled, else empty (AWS). */}}
{{- define "tweetflow.s3Endpoint" -}}
{{- if .Values.s3.endpoint }}
{{- .Values.s3.endpoint }}
{{- else if .Values.minio.enabled }}
{{- printf "%s.%s.svc:9000" (include "tweetflow.minioName" .) .Release.Namespace }}
{{- end }}
{{- end }}

{{/* Whether the S3 endpoint is plain HTTP. */}}
{{- define "tweetflow.s3Insecure" -}}
{{- if or .Values.s3.insecure (and .Values.minio.enabled (not .Values.s3.endpoint)) }}true{{ else }}false{{ end }}
{{- end }}

{{/* Name of the workflow's service account. */}}
{{- define "tweetflow.workflowServiceAccount" -}}
{{- if .Values.workflow.serviceAccount.create }}
{{- .Values.workflow.serviceAccount.name | default (printf "%s-workflow" (include "tweetflow.fullname" .)) }}
{{- else }}
{{- .Values.workflow.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{/* The environment variables that read the S3 secret (every key optional). */}}
{{- define "tweetflow.s3Env" -}}
{{- $secret := include "tweetflow.s3SecretName" . }}
{{- range $key, $env := dict "endpoint" "TWEETFLOW_S3_ENDPOINT" "region" "TWEETFLOW_S3_REGION" "access-key" "TWEETFLOW_S3_ACCESS_KEY" "secret-key" "TWEETFLOW_S3_SECRET_KEY" "insecure" "TWEETFLOW_S3_INSECURE" "path-style" "TWEETFLOW_S3_PATH_STYLE" }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end }}

{{/* "true" when the labeling pipeline's WorkflowTemplate is installed (a
release upgraded with --reuse-values from a chart without workflow.labeling
gets it, as with the defaults). */}}
{{- define "tweetflow.labelingEnabled" -}}
{{- $l := .Values.workflow.labeling | default dict }}
{{- if and .Values.workflow.enabled (ternary $l.enabled true (hasKey $l "enabled")) }}true{{ end }}
{{- end }}
