{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "occupier-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "occupier-operator.fullname" -}}
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

{{- define "occupier-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "occupier-operator.labels" -}}
helm.sh/chart: {{ include "occupier-operator.chart" . }}
{{ include "occupier-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: occupier-operator
{{- end }}

{{/* Labels that select the operator pods. */}}
{{- define "occupier-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "occupier-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "occupier-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "occupier-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "occupier-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "occupier-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "occupier-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "occupier-operator.webhookServiceName" -}}
{{- printf "%s-webhook" (include "occupier-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "occupier-operator.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "occupier-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Label matcher of the operator's series in alert expressions. */}}
{{- define "occupier-operator.jobSelector" -}}
job="{{ default (include "occupier-operator.metricsServiceName" .) .Values.prometheusRule.job }}"
{{- end }}

{{/* The namespaced kinds of occupier.dev (Site is cluster-scoped). */}}
{{- define "occupier-operator.namespacedResources" -}}
- occupiers
- sitemoves
- customermoves
- decommissions
{{- end }}
