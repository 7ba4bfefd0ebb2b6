{{/* Names and labels. */}}
{{- define "mediagw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mediagw.fullname" -}}
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

{{- define "mediagw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mediagw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mediagw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mediagw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mediagw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mediagw.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mediagw.claimName" -}}
{{- default (printf "%s-data" (include "mediagw.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/*
Values that cannot work. values.schema.json refuses them first; these
messages also hold when schema validation is skipped.
*/}}
{{- define "mediagw.validate" -}}
{{- if eq .Values.store.type "sqlite" }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount is %d, but store.type sqlite runs exactly one replica: SQLite lives on one ReadWriteOnce volume and admits one writer" (int .Values.replicaCount)) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail "autoscaling.enabled: an autoscaler cannot add replicas while store.type is sqlite (one replica)" }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{- fail "podDisruptionBudget.enabled: a disruption budget for the single replica of store.type sqlite would only block node drains" }}
{{- end }}
{{- end }}
{{- $cfg := .Values.config | default dict }}
{{- $server := get $cfg "server" | default dict }}
{{- range $f := list "grpc_listen" "http_listen" "ports_file" }}
{{- if hasKey $server $f }}
{{- fail (printf "config.server.%s is set by the chart (from service.ports); remove it" $f) }}
{{- end }}
{{- end }}
{{- if hasKey (get $cfg "storage" | default dict) "data_dir" }}
{{- fail "config.storage.data_dir is set by the chart (persistence.mountPath); remove it" }}
{{- end }}
{{- end }}

{{/*
The configuration file: .Values.config with the listen addresses, the data
folder and the public base URL filled in from the chart's own values.
*/}}
{{- define "mediagw.configJson" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $server := get $cfg "server" | default dict }}
{{- $_ := set $server "grpc_listen" (printf "0.0.0.0:%d" (int .Values.service.ports.grpc)) }}
{{- $_ := set $server "http_listen" (printf "0.0.0.0:%d" (int .Values.service.ports.http)) }}
{{- if not (get $server "public_base_url") }}
{{- $_ := set $server "public_base_url" (printf "http://%s.%s.svc.cluster.local:%d" (include "mediagw.fullname" .) .Release.Namespace (int .Values.service.ports.http)) }}
{{- end }}
{{- $_ := set $cfg "server" $server }}
{{- $storage := get $cfg "storage" | default dict }}
{{- $_ := set $storage "data_dir" .Values.persistence.mountPath }}
{{- $_ := set $cfg "storage" $storage }}
{{- toPrettyJson $cfg }}
{{- end }}
