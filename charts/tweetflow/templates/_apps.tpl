{{/* Name of the Secret holding the PostgreSQL connection string. */}}
{{- define "tweetflow.postgresSecretName" -}}
{{- .Values.postgres.existingSecret | default (printf "%s-postgres" (include "tweetflow.fullname" .)) }}
{{- end }}

{{/* "true" when a Deployment needs the PostgreSQL Secret. */}}
{{- define "tweetflow.postgresNeeded" -}}
{{- if or (.Values.score | default dict).enabled (.Values.dashboard | default dict).enabled (.Values.annotate | default dict).enabled }}true{{ end }}
{{- end }}

{{- /*
tweetflow.appDeployment renders the Deployment of a long-running component
(score, dashboard, annotate). Include it with

  (dict "ctx" $ "component" "dashboard" "v" .Values.dashboard "args" (list ...)
        "port" 8080 "probes" "<probe YAML>" "grace" 30)

"port" 0 exposes no port; "probes" is YAML (livenessProbe, readinessProbe,
startupProbe) placed in the container. The pod runs as non-root with a
read-only root filesystem, an emptyDir at /tmp and no service account token;
the connection string comes from the PostgreSQL Secret.
*/}}
{{- define "tweetflow.appDeployment" -}}
{{- $ctx := .ctx }}
{{- $v := .v }}
{{- $name := printf "%s-%s" (include "tweetflow.fullname" $ctx) .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "tweetflow.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ $v.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "tweetflow.selectorLabels" (dict "ctx" $ctx "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tweetflow.labels" $ctx | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
    spec:
      # The component does not talk to the Kubernetes API.
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ .grace }}
      {{- with $ctx.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $ctx.Values.apps.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "tweetflow.image" (dict "ctx" $ctx "component" .component) | quote }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          args:
            - --log-format=json
            - --progress=none
            {{- if $v.s3Env }}
            - --store=s3://{{ $ctx.Values.s3.bucket }}
            {{- else }}
            - --store=/tmp/tweetflow
            {{- end }}
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
            {{- range $v.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            - name: TWEETFLOW_POSTGRES_DSN
              valueFrom:
                secretKeyRef:
                  name: {{ include "tweetflow.postgresSecretName" $ctx }}
                  key: {{ $ctx.Values.postgres.key }}
            {{- if $v.s3Env }}
            {{- include "tweetflow.s3Env" $ctx | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if .port }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          {{- end }}
          {{- with .probes }}
          {{- . | nindent 10 }}
          {{- end }}
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $ctx.Values.apps.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # Writable scratch space under a read-only root filesystem.
        - name: tmp
          emptyDir: {}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* tweetflow.appService renders the Service of a component's "http" port. */}}
{{- define "tweetflow.appService" -}}
{{- $ctx := .ctx }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "tweetflow.fullname" $ctx }}-{{ .component }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "tweetflow.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  type: {{ .v.service.type }}
  selector:
    {{- include "tweetflow.selectorLabels" (dict "ctx" $ctx "component" .component) | nindent 4 }}
  ports:
    - name: http
      port: {{ .v.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}
