// Shared vocabulary of the COCOON contracts: opcodes, error codes, CocoonParams, the signed
// envelope, the standard replies and StateInit address derivation (messages.tlb layouts).
import { Address, beginCell, Builder, Cell, contractAddress } from '@ton/core';
import { sign } from '@ton/crypto';

export const ONE_TON = 1_000_000_000n;
export const COMMISSION = 100_000_000n;
export const STORAGE_FLOOR = 10_000_000n;
export const CHILD_FLOOR = COMMISSION + STORAGE_FLOOR;

export const State = { normal: 0, closing: 1, closed: 2 } as const;

export const Op = {
    excesses: 0x2565934c,
    payout: 0xc59a7cd3,
    doNotProcess: 0x9a1247c0,

    addWorkerType: 0xe34b1c60,
    delWorkerType: 0x8d94a79a,
    addModelType: 0xc146134d,
    delModelType: 0x92b11c18,
    addProxyType: 0x71860e80,
    delProxyType: 0x3c41d0b2,
    registerProxy: 0x927c7cb5,
    unregisterProxy: 0x6d49eaf2,
    updateProxy: 0x9c7924ba,
    changeFees: 0xc52ed8d4,
    changeParams: 0x022fa189,
    upgradeContracts: 0xa2370f61,
    upgradeCode: 0x11aefd51,
    resetRoot: 0x563c1d96,
    upgradeFull: 0x4f7c5789,
    changeOwner: 0xc4a1ae54,

    workerProxyRequest: 0x4d725d2c,
    workerProxyPayoutRequest: 0x08e7d036,
    ownerWorkerRegister: 0x26ed7f65,
    workerPayoutSigned: 0xa040ad28,
    workerLastPayoutSigned: 0xf5f26a36,

    clientProxyRequest: 0x65448ff4,
    clientProxyTopUp: 0x5cfc6b87,
    clientProxyRegister: 0xa35cb580,
    clientProxyRefundGranted: 0xc68ebc7b,
    clientProxyRefundForce: 0xf4c354c9,

    extProxyPayoutRequest: 0x7610e6eb,
    extProxyIncreaseStake: 0x9713f187,
    ownerProxyClose: 0xb51d5a01,
    proxyCloseRequestSigned: 0x636a4391,
    proxyCloseCompleteSigned: 0xe511abc7,

    extClientTopUp: 0xf172e6c2,
    ownerClientChangeSecretHashAndTopUp: 0x8473b408,
    ownerClientRegister: 0xc45f9f3b,
    ownerClientChangeSecretHash: 0xa9357034,
    ownerClientIncreaseStake: 0x6a1f6a60,
    ownerClientWithdraw: 0xda068e78,
    ownerClientRequestRefund: 0xfafa6cc1,
    ownerClientTopUpReopen: 0x29111ceb,
    clientChargeSigned: 0xbb63ff93,
    clientGrantRefundSigned: 0xefd711e1,

    ownerWalletSendMessage: 0x9c69f376,
} as const;

export const Err = {
    oldMessage: 1000,
    lowSmcBalance: 1001,
    lowMsgValue: 1003,
    msgFormatMismatch: 1004,
    signedMsgFormatMismatch: 1005,
    closed: 1006,
    badSignature: 1007,
    storedDataDamaged: 1008,
    expectedOwner: 1009,
    expectedMessageFromOwner: 1010,
    notUnlockedYet: 1011,
    unknownOp: 1012,
    unknownTextOp: 1013,
    contractAddressMismatch: 1014,
    expectedMyAddress: 1015,
    unknownProxyType: 2000,
    walletExpired: 1030,
    walletBlocked: 1031,
    walletSeqno: 1032,
    walletSubwallet: 1033,
    walletSignature: 1034,
    walletLowBalance: 1035,
    walletNotOwner: 1040,
    walletUnknownOp: 1041,
    cellUnderflow: 9,
} as const;

export type CocoonParams = {
    structVersion?: number; // 3 unless a test stores damaged params
    paramsVersion: number;
    uniqueId: number;
    isTest: boolean;
    pricePerToken: bigint;
    workerFeePerToken: bigint;
    promptTokensPriceMultiplier: number;
    cachedTokensPriceMultiplier: number;
    completionTokensPriceMultiplier: number;
    reasoningTokensPriceMultiplier: number;
    proxyDelayBeforeClose: number;
    clientDelayBeforeClose: number;
    minProxyStake: bigint;
    minClientStake: bigint;
    proxyScCode?: Cell | null;
    workerScCode?: Cell | null;
    clientScCode?: Cell | null;
};

export function paramsToCell(p: CocoonParams): Cell {
    return beginCell()
        .storeUint(p.structVersion ?? 3, 8)
        .storeUint(p.paramsVersion, 32)
        .storeUint(p.uniqueId, 32)
        .storeBit(p.isTest)
        .storeCoins(p.pricePerToken)
        .storeCoins(p.workerFeePerToken)
        .storeUint(p.promptTokensPriceMultiplier, 32)
        .storeUint(p.cachedTokensPriceMultiplier, 32)
        .storeUint(p.completionTokensPriceMultiplier, 32)
        .storeUint(p.reasoningTokensPriceMultiplier, 32)
        .storeUint(p.proxyDelayBeforeClose, 32)
        .storeUint(p.clientDelayBeforeClose, 32)
        .storeCoins(p.minProxyStake)
        .storeCoins(p.minClientStake)
        .storeMaybeRef(p.proxyScCode ?? null)
        .storeMaybeRef(p.workerScCode ?? null)
        .storeMaybeRef(p.clientScCode ?? null)
        .endCell();
}

export function paramsFromCell(c: Cell): CocoonParams {
    const s = c.beginParse();
    return {
        structVersion: s.loadUint(8),
        paramsVersion: s.loadUint(32),
        uniqueId: s.loadUint(32),
        isTest: s.loadBit(),
        pricePerToken: s.loadCoins(),
        workerFeePerToken: s.loadCoins(),
        promptTokensPriceMultiplier: s.loadUint(32),
        cachedTokensPriceMultiplier: s.loadUint(32),
        completionTokensPriceMultiplier: s.loadUint(32),
        reasoningTokensPriceMultiplier: s.loadUint(32),
        proxyDelayBeforeClose: s.loadUint(32),
        clientDelayBeforeClose: s.loadUint(32),
        minProxyStake: s.loadCoins(),
        minClientStake: s.loadCoins(),
        proxyScCode: s.loadMaybeRef(),
        workerScCode: s.loadMaybeRef(),
        clientScCode: s.loadMaybeRef(),
    };
}

// The params a proxy stores: worker and client code, no proxy code.
export function proxyParams(p: CocoonParams): CocoonParams {
    return { ...p, proxyScCode: null };
}

// The params a worker or client stores: no code at all.
export function childParams(p: CocoonParams): CocoonParams {
    return { ...p, proxyScCode: null, workerScCode: null, clientScCode: null };
}

// Address of a contract from its code and initial data (workchain 0). A missing code gives the
// StateInit with a 0 code bit, which no deployed contract can have.
export function addressOf(code: Cell | null | undefined, data: Cell): Address {
    if (code) {
        return contractAddress(0, { code, data });
    }
    const init = beginCell().storeUint(0, 2).storeMaybeRef(null).storeMaybeRef(data).storeUint(0, 1).endCell();
    return new Address(0, init.hash());
}

export function excessesBody(queryId: bigint): Cell {
    return beginCell().storeUint(Op.excesses, 32).storeUint(queryId, 64).endCell();
}

export function payoutBody(queryId: bigint): Cell {
    return beginCell().storeUint(Op.payout, 32).storeUint(queryId, 64).endCell();
}

// A signed payload: op, query_id, then the op-specific fields written by fill.
export function signedPayload(op: number, queryId: bigint, fill: (b: Builder) => Builder): Cell {
    return fill(beginCell().storeUint(op, 32).storeUint(queryId, 64)).endCell();
}

export function signCell(payload: Cell, secretKey: Buffer): Buffer {
    return sign(payload.hash(), secretKey);
}

// The envelope `op query_id send_excesses_to signature payload:^Cell` around a signed payload.
export function signedEnvelope(op: number, queryId: bigint, sendExcessesTo: Address, payload: Cell, signature: Buffer): Cell {
    return beginCell()
        .storeUint(op, 32)
        .storeUint(queryId, 64)
        .storeAddress(sendExcessesTo)
        .storeBuffer(signature)
        .storeRef(payload)
        .endCell();
}
