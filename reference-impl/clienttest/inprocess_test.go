package clienttest

import (
	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
	"github.com/openihsm/openihsm/spec/transport"
)

func inProcess(ep device.Endpoint) transport.Transport { return server.NewInProcess(ep) }
