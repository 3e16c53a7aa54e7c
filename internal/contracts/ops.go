package contracts

import "fmt"

// Op is the opcode that starts a message body; the contracts dispatch on
// it. Every opcode of the contracts (contracts/contracts/common.tolk) is
// declared here under its Tolk name, OP_ADD_WORKER_TYPE as
// OpAddWorkerType, whether the Go side sends it or not; TestOpcodesMatch
// checks the three spellings (Tolk, the TypeScript wrappers, Go) against
// each other.
type Op uint32

// Replies and markers every contract knows.
const (
	OpExcesses Op = 0x2565934c
	OpPayout   Op = 0xc59a7cd3
	// OpDoNotProcess makes every COCOON contract return at once.
	OpDoNotProcess Op = 0x9a1247c0
)

// The root's owner operations.
const (
	OpAddWorkerType    Op = 0xe34b1c60
	OpDelWorkerType    Op = 0x8d94a79a
	OpAddModelType     Op = 0xc146134d
	OpDelModelType     Op = 0x92b11c18
	OpAddProxyType     Op = 0x71860e80
	OpDelProxyType     Op = 0x3c41d0b2
	OpRegisterProxy    Op = 0x927c7cb5
	OpUnregisterProxy  Op = 0x6d49eaf2
	OpUpdateProxy      Op = 0x9c7924ba
	OpChangeFees       Op = 0xc52ed8d4
	OpChangeParams     Op = 0x022fa189
	OpUpgradeContracts Op = 0xa2370f61
	OpUpgradeCode      Op = 0x11aefd51
	OpResetRoot        Op = 0x563c1d96
	OpUpgradeFull      Op = 0x4f7c5789
	OpChangeOwner      Op = 0xc4a1ae54
)

// Worker and proxy.
const (
	// OpWorkerProxyRequest starts every report a worker contract sends
	// its proxy; OpWorkerProxyPayoutRequest its payout payload.
	OpWorkerProxyRequest       Op = 0x4d725d2c
	OpWorkerProxyPayoutRequest Op = 0x08e7d036
	OpOwnerWorkerRegister      Op = 0x26ed7f65
	OpWorkerPayoutSigned       Op = 0xa040ad28
	OpWorkerLastPayoutSigned   Op = 0xf5f26a36
)

// Client and proxy.
const (
	// OpClientProxyRequest starts every report a client contract sends
	// its proxy; the four after it are the kinds of its payload.
	OpClientProxyRequest       Op = 0x65448ff4
	OpClientProxyTopUp         Op = 0x5cfc6b87
	OpClientProxyRegister      Op = 0xa35cb580
	OpClientProxyRefundGranted Op = 0xc68ebc7b
	OpClientProxyRefundForce   Op = 0xf4c354c9
)

// The proxy contract's own operations.
const (
	OpExtProxyPayoutRequest    Op = 0x7610e6eb
	OpExtProxyIncreaseStake    Op = 0x9713f187
	OpOwnerProxyClose          Op = 0xb51d5a01
	OpProxyCloseRequestSigned  Op = 0x636a4391
	OpProxyCloseCompleteSigned Op = 0xe511abc7
)

// The client contract's operations.
const (
	OpExtClientTopUp                      Op = 0xf172e6c2
	OpOwnerClientChangeSecretHashAndTopUp Op = 0x8473b408
	OpOwnerClientRegister                 Op = 0xc45f9f3b
	OpOwnerClientChangeSecretHash         Op = 0xa9357034
	OpOwnerClientIncreaseStake            Op = 0x6a1f6a60
	OpOwnerClientWithdraw                 Op = 0xda068e78
	OpOwnerClientRequestRefund            Op = 0xfafa6cc1
	OpClientChargeSigned                  Op = 0xbb63ff93
	OpClientGrantRefundSigned             Op = 0xefd711e1
)

// The cocoon wallet's owner operation: send a message as it is.
const OpOwnerWalletSendMessage Op = 0x9c69f376

// opNames are the ops as the contracts name them, without OP_ and in
// lower case.
var opNames = map[Op]string{
	OpExcesses: "excesses", OpPayout: "payout", OpDoNotProcess: "do_not_process",

	OpAddWorkerType: "add_worker_type", OpDelWorkerType: "del_worker_type",
	OpAddModelType: "add_model_type", OpDelModelType: "del_model_type",
	OpAddProxyType: "add_proxy_type", OpDelProxyType: "del_proxy_type",
	OpRegisterProxy: "register_proxy", OpUnregisterProxy: "unregister_proxy", OpUpdateProxy: "update_proxy",
	OpChangeFees: "change_fees", OpChangeParams: "change_params", OpUpgradeContracts: "upgrade_contracts",
	OpUpgradeCode: "upgrade_code", OpResetRoot: "reset_root", OpUpgradeFull: "upgrade_full", OpChangeOwner: "change_owner",

	OpWorkerProxyRequest: "worker_proxy_request", OpWorkerProxyPayoutRequest: "worker_proxy_payout_request",
	OpOwnerWorkerRegister: "owner_worker_register", OpWorkerPayoutSigned: "worker_payout_signed",
	OpWorkerLastPayoutSigned: "worker_last_payout_signed",

	OpClientProxyRequest: "client_proxy_request", OpClientProxyTopUp: "client_proxy_top_up",
	OpClientProxyRegister: "client_proxy_register", OpClientProxyRefundGranted: "client_proxy_refund_granted",
	OpClientProxyRefundForce: "client_proxy_refund_force",

	OpExtProxyPayoutRequest: "ext_proxy_payout_request", OpExtProxyIncreaseStake: "ext_proxy_increase_stake",
	OpOwnerProxyClose: "owner_proxy_close", OpProxyCloseRequestSigned: "proxy_close_request_signed",
	OpProxyCloseCompleteSigned: "proxy_close_complete_signed",

	OpExtClientTopUp: "ext_client_top_up", OpOwnerClientChangeSecretHashAndTopUp: "owner_client_change_secret_hash_and_top_up",
	OpOwnerClientRegister: "owner_client_register", OpOwnerClientChangeSecretHash: "owner_client_change_secret_hash",
	OpOwnerClientIncreaseStake: "owner_client_increase_stake", OpOwnerClientWithdraw: "owner_client_withdraw",
	OpOwnerClientRequestRefund: "owner_client_request_refund", OpClientChargeSigned: "client_charge_signed",
	OpClientGrantRefundSigned: "client_grant_refund_signed",

	OpOwnerWalletSendMessage: "owner_wallet_send_message",
}

// String returns the op's name as the contracts spell it, or its hex
// value for an op they do not know.
func (o Op) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return fmt.Sprintf("op %#08x", uint32(o))
}
