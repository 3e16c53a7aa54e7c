// The COCOON proxy: storage codec, child address derivation, message builders and getter.
import { Address, beginCell, Cell, Contract, ContractProvider, Sender, SendMode } from '@ton/core';
import { addressOf, CocoonParams, Op, paramsFromCell, paramsToCell, signCell, signedEnvelope, signedPayload } from './common';
import { clientConfigToCell, initialClientConfig } from './Client';
import { initialWorkerConfig, workerConfigToCell } from './Worker';

export type ProxyConfig = {
    owner: Address;
    proxyPublicKey: bigint;
    root: Address;
    state: number;
    balance: bigint;
    stake: bigint;
    unlockTs: number;
    params: CocoonParams; // with worker and client code, no proxy code
};

export function proxyConfigToCell(c: ProxyConfig): Cell {
    return beginCell()
        .storeAddress(c.owner)
        .storeUint(c.proxyPublicKey, 256)
        .storeAddress(c.root)
        .storeUint(c.state, 2)
        .storeCoins(c.balance)
        .storeCoins(c.stake)
        .storeUint(c.unlockTs, 32)
        .storeRef(paramsToCell(c.params))
        .endCell();
}

export function proxyConfigFromCell(cell: Cell): ProxyConfig {
    const s = cell.beginParse();
    const c = {
        owner: s.loadAddress(),
        proxyPublicKey: s.loadUintBig(256),
        root: s.loadAddress(),
        state: s.loadUint(2),
        balance: s.loadCoins(),
        stake: s.loadCoins(),
        unlockTs: s.loadUint(32),
        params: paramsFromCell(s.loadRef()),
    };
    s.endParse();
    return c;
}

// Addresses of the children a proxy accepts: derived from the proxy's own stored params.
export function workerAddressFor(proxy: Address, c: ProxyConfig, workerOwner: Address): Address {
    return addressOf(c.params.workerScCode, workerConfigToCell(initialWorkerConfig(workerOwner, proxy, c.proxyPublicKey, c.params)));
}

export function clientAddressFor(proxy: Address, c: ProxyConfig, clientOwner: Address): Address {
    return addressOf(c.params.clientScCode, clientConfigToCell(initialClientConfig(clientOwner, proxy, c.proxyPublicKey, c.params)));
}

const withQuery = (op: number, queryId: bigint) => beginCell().storeUint(op, 32).storeUint(queryId, 64);

export const ProxyMsg = {
    payoutRequest: (queryId: bigint, sendExcessesTo: Address) =>
        withQuery(Op.extProxyPayoutRequest, queryId).storeAddress(sendExcessesTo).endCell(),
    increaseStake: (queryId: bigint, grams: bigint, sendExcessesTo: Address) =>
        withQuery(Op.extProxyIncreaseStake, queryId).storeCoins(grams).storeAddress(sendExcessesTo).endCell(),
    ownerClose: (queryId: bigint, sendExcessesTo: Address) =>
        withQuery(Op.ownerProxyClose, queryId).storeAddress(sendExcessesTo).endCell(),
    closePayload: (complete: boolean, queryId: bigint, expected: Address) =>
        signedPayload(complete ? Op.proxyCloseCompleteSigned : Op.proxyCloseRequestSigned, queryId, (b) => b.storeAddress(expected)),
    close: (complete: boolean, queryId: bigint, proxy: Address, sendExcessesTo: Address, secretKey: Buffer) => {
        const payload = ProxyMsg.closePayload(complete, queryId, proxy);
        const op = complete ? Op.proxyCloseCompleteSigned : Op.proxyCloseRequestSigned;
        return signedEnvelope(op, queryId, sendExcessesTo, payload, signCell(payload, secretKey));
    },
    text: (action: string) => beginCell().storeUint(0, 32).storeUint(action.charCodeAt(0), 8).endCell(),
};

export type ProxyData = {
    owner: Address;
    proxyPublicKey: bigint;
    root: Address;
    state: number;
    balance: bigint;
    stake: bigint;
    unlockTs: number;
    pricePerToken: bigint;
    workerFeePerToken: bigint;
    minProxyStake: bigint;
    minClientStake: bigint;
    paramsVersion: number;
};

export class CocoonProxy implements Contract {
    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    static createFromConfig(config: ProxyConfig, code: Cell): CocoonProxy {
        const data = proxyConfigToCell(config);
        return new CocoonProxy(addressOf(code, data), { code, data });
    }

    async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body: beginCell().endCell() });
    }

    async sendBody(provider: ContractProvider, via: Sender, value: bigint, body: Cell) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
    }

    async getData(provider: ContractProvider): Promise<ProxyData> {
        const r = (await provider.get('get_cocoon_proxy_data', [])).stack;
        return {
            owner: r.readAddress(),
            proxyPublicKey: r.readBigNumber(),
            root: r.readAddress(),
            state: r.readNumber(),
            balance: r.readBigNumber(),
            stake: r.readBigNumber(),
            unlockTs: r.readNumber(),
            pricePerToken: r.readBigNumber(),
            workerFeePerToken: r.readBigNumber(),
            minProxyStake: r.readBigNumber(),
            minClientStake: r.readBigNumber(),
            paramsVersion: r.readNumber(),
        };
    }
}
