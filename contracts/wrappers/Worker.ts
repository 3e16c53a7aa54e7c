// The COCOON worker: storage codec, address derivation, message builders and getter.
import { Address, beginCell, Cell, Contract, ContractProvider, Sender, SendMode } from '@ton/core';
import { addressOf, childParams, CocoonParams, Op, paramsFromCell, paramsToCell, signCell, signedEnvelope, signedPayload } from './common';

export type WorkerConfig = {
    owner: Address;
    proxy: Address;
    proxyPublicKey: bigint;
    state: number;
    tokens: bigint;
    params: CocoonParams; // stored without code
};

export function workerConfigToCell(c: WorkerConfig): Cell {
    return beginCell()
        .storeAddress(c.owner)
        .storeAddress(c.proxy)
        .storeUint(c.proxyPublicKey, 256)
        .storeUint(c.state, 2)
        .storeUint(c.tokens, 64)
        .storeRef(paramsToCell(c.params))
        .endCell();
}

export function workerConfigFromCell(cell: Cell): WorkerConfig {
    const s = cell.beginParse();
    const c = {
        owner: s.loadAddress(),
        proxy: s.loadAddress(),
        proxyPublicKey: s.loadUintBig(256),
        state: s.loadUint(2),
        tokens: s.loadUintBig(64),
        params: paramsFromCell(s.loadRef()),
    };
    s.endParse();
    return c;
}

// The initial data a proxy expects for a worker of owner: state 0, tokens 0, params without code.
export function initialWorkerConfig(owner: Address, proxy: Address, proxyPublicKey: bigint, proxyParams: CocoonParams): WorkerConfig {
    return { owner, proxy, proxyPublicKey, state: 0, tokens: 0n, params: childParams(proxyParams) };
}

export const WorkerMsg = {
    register: (queryId: bigint, sendExcessesTo: Address) =>
        beginCell().storeUint(Op.ownerWorkerRegister, 32).storeUint(queryId, 64).storeAddress(sendExcessesTo).endCell(),
    payoutPayload: (last: boolean, queryId: bigint, newTokens: bigint, expected: Address) =>
        signedPayload(last ? Op.workerLastPayoutSigned : Op.workerPayoutSigned, queryId, (b) =>
            b.storeUint(newTokens, 64).storeAddress(expected),
        ),
    payout: (last: boolean, queryId: bigint, newTokens: bigint, worker: Address, sendExcessesTo: Address, secretKey: Buffer) => {
        const payload = WorkerMsg.payoutPayload(last, queryId, newTokens, worker);
        const op = last ? Op.workerLastPayoutSigned : Op.workerPayoutSigned;
        return signedEnvelope(op, queryId, sendExcessesTo, payload, signCell(payload, secretKey));
    },
    // What the worker sends to the proxy (worker_proxy_request).
    proxyRequest: (queryId: bigint, owner: Address, state: number, tokens: bigint, payload: Cell | null) =>
        beginCell()
            .storeUint(Op.workerProxyRequest, 32)
            .storeUint(queryId, 64)
            .storeAddress(owner)
            .storeUint(state, 2)
            .storeUint(tokens, 64)
            .storeMaybeRef(payload)
            .endCell(),
    payoutRequest: (workerPart: bigint, proxyPart: bigint, sendExcessesTo: Address) =>
        beginCell()
            .storeUint(Op.workerProxyPayoutRequest, 32)
            .storeCoins(workerPart)
            .storeCoins(proxyPart)
            .storeAddress(sendExcessesTo)
            .endCell(),
};

export type WorkerData = { owner: Address; proxy: Address; proxyPublicKey: bigint; state: number; tokens: bigint };

export class CocoonWorker implements Contract {
    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    static createFromConfig(config: WorkerConfig, code: Cell): CocoonWorker {
        const data = workerConfigToCell(config);
        return new CocoonWorker(addressOf(code, data), { code, data });
    }

    async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body: beginCell().endCell() });
    }

    async sendBody(provider: ContractProvider, via: Sender, value: bigint, body: Cell) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
    }

    async getData(provider: ContractProvider): Promise<WorkerData> {
        const r = (await provider.get('get_cocoon_worker_data', [])).stack;
        return {
            owner: r.readAddress(),
            proxy: r.readAddress(),
            proxyPublicKey: r.readBigNumber(),
            state: r.readNumber(),
            tokens: r.readBigNumber(),
        };
    }
}
