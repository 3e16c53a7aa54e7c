package contracts

// ExitCode is the code a contract's compute phase ends with when it
// refuses a message (a transaction's exit code). The contracts' own codes
// are declared here under their Tolk names,
// ERR_OLD_MESSAGE as ExitOldMessage; TestExitCodesMatch checks them
// against the Tolk sources and the TypeScript wrappers. Codes below 256
// are the TVM's.
type ExitCode int32

// The TVM's code for a body read past its end (or, with an end check,
// one with data left over).
const ExitCellUnderflow ExitCode = 9

// The codes of the root, proxy, client and worker contracts.
const (
	ExitOldMessage               ExitCode = 1000
	ExitLowSmcBalance            ExitCode = 1001
	ExitLowMsgValue              ExitCode = 1003
	ExitMsgFormatMismatch        ExitCode = 1004
	ExitSignedMsgFormatMismatch  ExitCode = 1005
	ExitClosed                   ExitCode = 1006
	ExitBadSignature             ExitCode = 1007
	ExitStoredDataDamaged        ExitCode = 1008
	ExitExpectedOwner            ExitCode = 1009
	ExitExpectedMessageFromOwner ExitCode = 1010
	ExitNotUnlockedYet           ExitCode = 1011
	ExitUnknownOp                ExitCode = 1012
	ExitUnknownTextOp            ExitCode = 1013
	ExitContractAddressMismatch  ExitCode = 1014
	ExitExpectedMyAddress        ExitCode = 1015
	ExitUnknownProxyType         ExitCode = 2000
)

// The cocoon wallet's codes: 1030–1035 refuse an external, 1040 and 1041
// an internal message.
const (
	ExitWalletExpired    ExitCode = 1030
	ExitWalletBlocked    ExitCode = 1031
	ExitWalletSeqno      ExitCode = 1032
	ExitWalletSubwallet  ExitCode = 1033
	ExitWalletSignature  ExitCode = 1034
	ExitWalletLowBalance ExitCode = 1035
	ExitWalletNotOwner   ExitCode = 1040
	ExitWalletUnknownOp  ExitCode = 1041
)

// exit is an exit code's name and what it tells the sender.
type exit struct{ name, meaning string }

// exits names every code of ExitCode: the contracts' codes as the
// contracts spell them (without ERR_, in lower case), with what each
// means whichever contract throws it.
var exits = map[ExitCode]exit{
	ExitCellUnderflow:            {"cell underflow", "the message body is malformed"},
	ExitOldMessage:               {"old_message", "the signed token count is not ahead of the contract's"},
	ExitLowSmcBalance:            {"low_smc_balance", "the contract's balance cannot cover the amount"},
	ExitLowMsgValue:              {"low_msg_value", "the message carries too little TON"},
	ExitMsgFormatMismatch:        {"msg_format_mismatch", "the body is not in the form the operation takes"},
	ExitSignedMsgFormatMismatch:  {"signed_msg_format_mismatch", "the signed payload's op or query id is not the envelope's"},
	ExitClosed:                   {"closed", "the contract is closed, or not in the state the operation needs"},
	ExitBadSignature:             {"bad_signature", "the signature is not the proxy's"},
	ExitStoredDataDamaged:        {"stored_data_damaged", "the contract's params are not struct version 3"},
	ExitExpectedOwner:            {"expected_owner", "the sender is not the contract's owner"},
	ExitExpectedMessageFromOwner: {"expected_message_from_owner", "the sender is not the contract's owner"},
	ExitNotUnlockedYet:           {"not_unlocked_yet", "the close delay has not passed yet"},
	ExitUnknownOp:                {"unknown_op", "the contract does not know this operation"},
	ExitUnknownTextOp:            {"unknown_text_op", "the contract does not know this text command"},
	ExitContractAddressMismatch:  {"contract_address_mismatch", "the sender is not the contract derived from it"},
	ExitExpectedMyAddress:        {"expected_my_address", "the signed payload names another contract"},
	ExitUnknownProxyType:         {"unknown_proxy_type", "no proxy is registered under that seqno"},
	ExitWalletExpired:            {"wallet_expired", "the external's valid-until time has passed"},
	ExitWalletBlocked:            {"wallet_blocked", "the owner has blocked the wallet"},
	ExitWalletSeqno:              {"wallet_seqno", "the external's seqno is not the wallet's"},
	ExitWalletSubwallet:          {"wallet_subwallet", "the external names another subwallet"},
	ExitWalletSignature:          {"wallet_signature", "the external is not signed with the wallet's key"},
	ExitWalletLowBalance:         {"wallet_low_balance", "the wallet holds less than the 2 TON it keeps"},
	ExitWalletNotOwner:           {"wallet_not_owner", "the sender is not the wallet's owner"},
	ExitWalletUnknownOp:          {"wallet_unknown_op", "the wallet does not know this operation or text command"},
}

// rootMeanings are what the root means by the codes it throws, where that
// is narrower than the general meaning.
var rootMeanings = map[ExitCode]string{
	ExitMsgFormatMismatch:        "the proxy description is not plain text",
	ExitStoredDataDamaged:        "the root's params are not struct version 3",
	ExitExpectedMessageFromOwner: "the sender is not the root's owner",
	ExitUnknownOp:                "the root does not know this operation",
}

// Explain says what the code means, "name: meaning", or "unknown code".
func (c ExitCode) Explain() string {
	e, ok := exits[c]
	if !ok {
		return "unknown code"
	}
	return e.name + ": " + e.meaning
}

// ExplainRoot says what the code means when the root throws it.
func (c ExitCode) ExplainRoot() string {
	if m, ok := rootMeanings[c]; ok {
		return exits[c].name + ": " + m
	}
	return c.Explain()
}
