{{/* Names and labels shared by every template. */}}

{{- define "esenzioni.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "esenzioni.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "esenzioni.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "esenzioni.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "esenzioni.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (web, worker, migration). */}}
{{- define "esenzioni.selectorLabels" -}}
app.kubernetes.io/name: {{ include "esenzioni.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "esenzioni.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "esenzioni.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "esenzioni.imageTag" .) -}}
{{- end -}}

{{- define "esenzioni.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "esenzioni.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "esenzioni.secretName" -}}
{{- if .Values.secrets.create -}}
{{- include "esenzioni.fullname" . -}}
{{- else -}}
{{- required "secrets.existingSecret is required when secrets.create is false" .Values.secrets.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* Environment of every container running the application. */}}
{{/* (DATABASE_URL apart: the migration Job takes the owner's URL.) */}}
{{- define "esenzioni.env" -}}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "esenzioni.secretName" . }}, key: S3_ACCESS_KEY}
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "esenzioni.secretName" . }}, key: S3_SECRET_KEY}
- name: ESENZIONI_CODEC_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "esenzioni.secretName" . }}, key: ESENZIONI_CODEC_KEY}
- name: ESENZIONI_CODEC_KEY_ID
  valueFrom:
    secretKeyRef: {name: {{ include "esenzioni.secretName" . }}, key: ESENZIONI_CODEC_KEY_ID}
{{- if .Values.config.temporal.tls.enabled }}
- name: TEMPORAL_TLS_CERT
  value: /etc/esenzioni/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY
  value: /etc/esenzioni/temporal-tls/tls.key
- name: TEMPORAL_TLS_CA
  value: /etc/esenzioni/temporal-tls/ca.crt
{{- with .Values.config.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if .Values.config.temporal.tokenSecret }}
- name: TEMPORAL_TOKEN_FILE
  value: /etc/esenzioni/temporal-token/token
{{- end }}
{{- if .Values.config.trustStoreSecret }}
- name: TRUST_STORE_DIR
  value: /etc/esenzioni/trust-store
{{- end }}
{{- end -}}

{{- define "esenzioni.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.config.temporal.tls.enabled }}
- name: temporal-tls
  mountPath: /etc/esenzioni/temporal-tls
  readOnly: true
{{- end }}
{{- if .Values.config.temporal.tokenSecret }}
- name: temporal-token
  mountPath: /etc/esenzioni/temporal-token
  readOnly: true
{{- end }}
{{- if .Values.config.trustStoreSecret }}
- name: trust-store
  mountPath: /etc/esenzioni/trust-store
  readOnly: true
{{- end }}
{{- end -}}

{{- define "esenzioni.volumes" -}}
- name: tmp
  emptyDir: {sizeLimit: 256Mi}
{{- if .Values.config.temporal.tls.enabled }}
- name: temporal-tls
  secret:
    secretName: {{ required "config.temporal.tls.secretName is required when TLS is enabled" .Values.config.temporal.tls.secretName }}
{{- end }}
{{- if .Values.config.temporal.tokenSecret }}
- name: temporal-token
  secret:
    secretName: {{ .Values.config.temporal.tokenSecret }}
{{- end }}
{{- if .Values.config.trustStoreSecret }}
- name: trust-store
  secret:
    secretName: {{ .Values.config.trustStoreSecret }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by web and worker. */}}
{{- define "esenzioni.podCommon" -}}
serviceAccountName: {{ include "esenzioni.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
securityContext:
{{ toYaml .Values.podSecurityContext | indent 2 }}
{{- end -}}
