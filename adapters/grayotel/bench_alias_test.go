package grayotel_test

import "go.opentelemetry.io/otel/metric"

type metricAddOption = metric.AddOption

var metricWithAttributeSet = metric.WithAttributeSet
