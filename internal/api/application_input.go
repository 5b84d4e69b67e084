package api

import "github.com/ipreg/ipreg/internal/registry"

// applicationRequest is the body of POST and PATCH /applications. Pointer
// fields tell "absent" (keep) from "empty" (clear) in a PATCH.
type applicationRequest struct {
	Category         *string     `json:"category"`
	OperatorID       *string     `json:"operator_id"`
	SubscriberID     *string     `json:"subscriber_id"`
	Addresses        *[]string   `json:"addresses"`
	MobileNumbers    *[]string   `json:"mobile_numbers"`
	VPN              *vpnRequest `json:"vpn"`
	Purpose          *string     `json:"purpose"`
	PaymentReference *string     `json:"payment_reference"`
}

type vpnRequest struct {
	Protocol  *string   `json:"protocol"`
	Endpoints *[]string `json:"endpoints"`
}

func (in applicationRequest) input() registry.ApplicationInput {
	out := registry.ApplicationInput{Category: in.Category, OperatorID: in.OperatorID, SubscriberID: in.SubscriberID,
		Addresses: in.Addresses, MobileNumbers: in.MobileNumbers, Purpose: in.Purpose, PaymentReference: in.PaymentReference}
	if in.VPN != nil {
		out.VPNProtocol, out.VPNEndpoints = in.VPN.Protocol, in.VPN.Endpoints
	}
	return out
}
