package portal

import "fmt"

// labels name the registry's codes for people, in English; the catalog
// translates them.
var labels = map[string]map[string]string{
	"category": {
		"company_vpn":        "Company VPN",
		"freelancer_vpn":     "Freelancer VPN",
		"call_center":        "Call centre",
		"video_conferencing": "Video conferencing",
		"mobile_vpn":         "Mobile VPN",
	},
	"state": {
		"draft":          "Draft",
		"operator_check": "With the operator",
		"review":         "In review",
		"returned":       "Returned for correction",
		"approved":       "Approved",
		"rejected":       "Rejected",
		"withdrawn":      "Withdrawn",
	},
	"status": {
		"active":      "Active",
		"expired":     "Expired",
		"revoked":     "Revoked",
		"surrendered": "Surrendered",
	},
	"check": {
		"pending":   "Pending",
		"confirmed": "Confirmed",
		"disputed":  "Disputed",
		"expired":   "Unanswered",
		"cancelled": "Cancelled",
	},
	// "message": the outbox's message templates
	// (internal/registry/messages/en/*.tmpl), for the admin's outbox page.
	"message": {
		"verify_email":   "E-mail address confirmation",
		"password_reset": "Password reset link",
		"invitation":     "Invitation to claim an account",
		"submitted":      "Application received",
		"operator_check": "Operator's answer",
		"returned":       "Application returned for correction",
		"approved":       "Application approved",
		"rejected":       "Application rejected",
		"appeal_decided": "Appeal decided",
		"items_given_up": "Addresses or numbers given up",
		"expiring":       "Registration about to expire",
		"expired":        "Registration expired",
		"revoked":        "Registration revoked",
		"surrendered":    "Registration surrendered",
		"digest":         "Staff digest of overdue work",
	},
	"kind": {
		"company":    "Company or organisation",
		"individual": "Individual",
	},
	"role": {
		"applicant":  "Applicant",
		"operator":   "Operator",
		"reviewer":   "Reviewer",
		"supervisor": "Supervisor",
		"admin":      "Administrator",
	},
	"doc": {
		"cnic_front":            "CNIC, front",
		"cnic_back":             "CNIC, back",
		"incorporation_proof":   "Incorporation or active-taxpayer proof",
		"authentication_letter": "Letter of authentication",
		"pseb_certificate":      "PSEB call-centre certificate",
		"government_letter":     "Government letter",
	},
	"flag": {
		"operator_disputed":      "Operator disputed",
		"operator_unanswered":    "Operator did not answer",
		"outside_country":        "Outside Pakistan's address space",
		"outside_operator_space": "Outside the operator's address space",
		"overlap":                "Overlaps another holder",
		"duplicate_own":          "Also in another application of this account",
		"many_addresses":         "Many addresses",
	},
	"event": {
		"created":             "Created",
		"updated":             "Changed",
		"submitted":           "Submitted",
		"resubmitted":         "Resubmitted",
		"document_added":      "Document added",
		"document_deleted":    "Document deleted",
		"operator_confirmed":  "Operator confirmed",
		"operator_disputed":   "Operator disputed",
		"operator_unanswered": "Operator did not answer in time",
		"returned":            "Returned for correction",
		"approved":            "Approved",
		"rejected":            "Rejected",
		"withdrawn":           "Withdrawn",
		"renewal_submitted":   "Renewal submitted",
		"amendment_submitted": "Amendment submitted",
		"items_given_up":      "Addresses or numbers given up",
		"appeal_submitted":    "Appeal submitted",
		"appeal_upheld":       "Appeal decided: rejection upheld",
		"appeal_overturned":   "Appeal decided: rejection overturned",
		"escalated":           "Escalated: past its due time",
	},
	"appeal": {
		"pending":    "Appeal pending",
		"upheld":     "Rejection upheld",
		"overturned": "Rejection overturned",
	},
	"outcome": {
		"approve": "approved",
		"return":  "returned for correction",
	},
	"appkind": {
		"new":       "New application",
		"renewal":   "Renewal",
		"amendment": "Amendment",
	},
	"action": {
		"application.viewed": "Viewed the application",
		"document.viewed":    "Viewed a document",
		"appeal.viewed":      "Viewed the appeal",
	},
	"protocol": {
		"ipsec":     "IPsec",
		"ikev2":     "IKEv2",
		"openvpn":   "OpenVPN",
		"wireguard": "WireGuard",
		"l2tp":      "L2TP",
		"sstp":      "SSTP",
		"ssl_vpn":   "SSL VPN",
		"other":     "Another protocol",
	},
	// "revocation": a proposed revocation's states (the revocations page).
	"revocation": {
		"pending":   "Waiting for a second supervisor",
		"confirmed": "Confirmed by a second supervisor",
		"cancelled": "Proposal withdrawn",
	},
	// "verb": what "cannot %s application" says could not be done.
	"verb": {
		"submit":         "submit",
		"withdraw":       "withdraw",
		"send to review": "send to review",
		"approve":        "approve",
		"reject":         "reject",
		"return":         "return for correction",
	},
	"reason": {
		"address_not_held":     "Address or number not held",
		"ineligible_applicant": "Not eligible for the category",
		"invalid_identity":     "Identity could not be verified",
		"insufficient_purpose": "Purpose does not justify it",
		"duplicate":            "Already registered or applied for",
		"fee_unpaid":           "Fee not paid",
		"false_information":    "False information",
		"policy_violation":     "Outside the policy",
		"other":                "Other reason",
	},
	// "import_column": the import file's columns (registry.ImportColumns),
	// named for people on the import report; docs/import.md has the
	// header's own names.
	"import_column": {
		"holder_kind":   "Holder kind",
		"holder_name":   "Holder's name",
		"cnic":          "CNIC",
		"ntn":           "NTN",
		"email":         "E-mail address",
		"mobile":        "Mobile number",
		"category":      "Category",
		"operator":      "Operator",
		"subscriber_id": "Subscriber ID",
		"item":          "Address or mobile number",
		"approved_on":   "Approved on",
		"valid_until":   "Valid until",
		"legacy_ref":    "Legacy reference",
	},
}

// L names a code for people in the page's language: {{$.L "state" .State}}.
func (v *view) L(kind string, code any) string {
	c := fmt.Sprint(code)
	if m, ok := labels[kind][c]; ok {
		return v.T(m)
	}
	return c
}
