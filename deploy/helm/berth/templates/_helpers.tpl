{{- define "berth.name" -}}{{ .Release.Name }}-berth{{- end -}}
{{- define "berth.labels" -}}
app.kubernetes.io/name: berth
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "berth.secretName" -}}{{ include "berth.name" . }}-secrets{{- end -}}
