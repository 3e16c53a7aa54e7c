// The COCOON root: storage codec (FunC layout), message builders and getters.
import {
    Address,
    beginCell,
    Builder,
    Cell,
    Contract,
    ContractProvider,
    Dictionary,
    DictionaryValue,
    Sender,
    SendMode,
    Slice,
    TupleReader,
} from '@ton/core';
import { addressOf, CocoonParams, Op, paramsFromCell, paramsToCell } from './common';

// Hash sets store empty values.
export const UnitValue: DictionaryValue<true> = {
    serialize: () => {},
    parse: () => true,
};

// ProxyDesc: type:uint1 (0) len:uint7 then len bytes of ASCII "host:port" or
// "workers_host:port clients_host:port".
export const ProxyDescValue: DictionaryValue<string> = {
    serialize: (src: string, b: Builder) => storeProxyDesc(b, src),
    parse: (s: Slice) => loadProxyDesc(s),
};

export function storeProxyDesc(b: Builder, desc: string, type = 0): Builder {
    const bytes = Buffer.from(desc, 'ascii');
    if (bytes.length > 127) {
        throw new Error(`proxy description of ${bytes.length} bytes, at most 127`);
    }
    return b.storeUint(type, 1).storeUint(bytes.length, 7).storeBuffer(bytes);
}

export function loadProxyDesc(s: Slice): string {
    if (s.loadUint(1) !== 0) {
        throw new Error('proxy description of unknown type');
    }
    const len = s.loadUint(7);
    return s.loadBuffer(len).toString('ascii');
}

export type RootConfig = {
    owner: Address;
    version: number;
    proxyHashes: bigint[];
    registeredProxies: Map<number, string>;
    lastProxySeqno: number;
    workerHashes: bigint[];
    modelHashes: bigint[];
    params: CocoonParams;
};

function hashSet(hashes: bigint[]): Dictionary<bigint, true> {
    const d = Dictionary.empty(Dictionary.Keys.BigUint(256), UnitValue);
    for (const h of hashes) {
        d.set(h, true);
    }
    return d;
}

export function rootConfigToCell(c: RootConfig): Cell {
    const proxies = Dictionary.empty(Dictionary.Keys.Uint(32), ProxyDescValue);
    for (const [k, v] of c.registeredProxies) {
        proxies.set(k, v);
    }
    const data = beginCell()
        .storeDict(hashSet(c.proxyHashes))
        .storeDict(proxies)
        .storeUint(c.lastProxySeqno, 32)
        .storeDict(hashSet(c.workerHashes))
        .storeDict(hashSet(c.modelHashes))
        .endCell();
    return beginCell()
        .storeAddress(c.owner)
        .storeUint(c.version, 32)
        .storeRef(data)
        .storeRef(paramsToCell(c.params))
        .endCell();
}

export function rootConfigFromCell(cell: Cell): RootConfig {
    const s = cell.beginParse();
    const owner = s.loadAddress();
    const version = s.loadUint(32);
    const d = s.loadRef().beginParse();
    const params = paramsFromCell(s.loadRef());
    s.endParse();
    const proxyHashes = d.loadDict(Dictionary.Keys.BigUint(256), UnitValue).keys();
    const proxies = d.loadDict(Dictionary.Keys.Uint(32), ProxyDescValue);
    const lastProxySeqno = d.loadUint(32);
    const workerHashes = d.loadDict(Dictionary.Keys.BigUint(256), UnitValue).keys();
    const modelHashes = d.loadDict(Dictionary.Keys.BigUint(256), UnitValue).keys();
    d.endParse();
    return {
        owner,
        version,
        proxyHashes,
        registeredProxies: new Map(proxies.keys().map((k) => [k, proxies.get(k)!])),
        lastProxySeqno,
        workerHashes,
        modelHashes,
        params,
    };
}

// Message bodies (op query_id ...).
export const RootMsg = {
    hashOp: (op: number, queryId: bigint, hash: bigint) =>
        beginCell().storeUint(op, 32).storeUint(queryId, 64).storeUint(hash, 256).endCell(),
    registerProxy: (queryId: bigint, desc: string, type = 0) =>
        storeProxyDesc(beginCell().storeUint(Op.registerProxy, 32).storeUint(queryId, 64), desc, type).endCell(),
    unregisterProxy: (queryId: bigint, seqno: number) =>
        beginCell().storeUint(Op.unregisterProxy, 32).storeUint(queryId, 64).storeUint(seqno, 32).endCell(),
    updateProxy: (queryId: bigint, seqno: number, desc: string, type = 0) =>
        storeProxyDesc(beginCell().storeUint(Op.updateProxy, 32).storeUint(queryId, 64).storeUint(seqno, 32), desc, type).endCell(),
    changeFees: (queryId: bigint, pricePerToken: bigint, workerFeePerToken: bigint) =>
        beginCell().storeUint(Op.changeFees, 32).storeUint(queryId, 64).storeCoins(pricePerToken).storeCoins(workerFeePerToken).endCell(),
    changeParams: (
        queryId: bigint,
        p: {
            pricePerToken: bigint;
            workerFeePerToken: bigint;
            proxyDelayBeforeClose: number;
            clientDelayBeforeClose: number;
            minProxyStake: bigint;
            minClientStake: bigint;
        },
    ) =>
        beginCell()
            .storeUint(Op.changeParams, 32)
            .storeUint(queryId, 64)
            .storeCoins(p.pricePerToken)
            .storeCoins(p.workerFeePerToken)
            .storeUint(p.proxyDelayBeforeClose, 32)
            .storeUint(p.clientDelayBeforeClose, 32)
            .storeCoins(p.minProxyStake)
            .storeCoins(p.minClientStake)
            .endCell(),
    upgradeContracts: (queryId: bigint, proxyCode: Cell, workerCode: Cell, clientCode: Cell) =>
        beginCell()
            .storeUint(Op.upgradeContracts, 32)
            .storeUint(queryId, 64)
            .storeRef(proxyCode)
            .storeRef(workerCode)
            .storeRef(clientCode)
            .endCell(),
    upgradeCode: (queryId: bigint, code: Cell) =>
        beginCell().storeUint(Op.upgradeCode, 32).storeUint(queryId, 64).storeRef(code).endCell(),
    reset: (queryId: bigint) => beginCell().storeUint(Op.resetRoot, 32).storeUint(queryId, 64).endCell(),
    upgradeFull: (queryId: bigint, data: Cell, code: Cell) =>
        beginCell().storeUint(Op.upgradeFull, 32).storeUint(queryId, 64).storeRef(data).storeRef(code).endCell(),
    changeOwner: (queryId: bigint, owner: Address) =>
        beginCell().storeUint(Op.changeOwner, 32).storeUint(queryId, 64).storeAddress(owner).endCell(),
};

export type RootData = {
    version: number;
    lastProxySeqno: number;
    paramsVersion: number;
    uniqueId: number;
    isTest: boolean;
    pricePerToken: number;
    workerFeePerToken: number;
    minProxyStake: number;
    minClientStake: number;
    ownerAddress: Address;
};

export type RootCurParams = {
    paramsVersion: number;
    uniqueId: number;
    isTest: boolean;
    pricePerToken: bigint;
    workerFeePerToken: bigint;
    cachedTokensPriceMultiplier: number;
    reasoningTokensPriceMultiplier: number;
    proxyDelayBeforeClose: number;
    clientDelayBeforeClose: number;
    minProxyStake: bigint;
    minClientStake: bigint;
    proxyScHash: bigint;
    workerScHash: bigint;
    clientScHash: bigint;
};

export class CocoonRoot implements Contract {
    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    static createFromConfig(config: RootConfig, code: Cell): CocoonRoot {
        const data = rootConfigToCell(config);
        return new CocoonRoot(addressOf(code, data), { code, data });
    }

    async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body: beginCell().endCell() });
    }

    async sendBody(provider: ContractProvider, via: Sender, value: bigint, body: Cell) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
    }

    async getData(provider: ContractProvider): Promise<RootData> {
        const r = (await provider.get('get_cocoon_data', [])).stack;
        return {
            version: r.readNumber(),
            lastProxySeqno: r.readNumber(),
            paramsVersion: r.readNumber(),
            uniqueId: r.readNumber(),
            isTest: r.readNumber() !== 0,
            pricePerToken: r.readNumber(),
            workerFeePerToken: r.readNumber(),
            minProxyStake: r.readNumber(),
            minClientStake: r.readNumber(),
            ownerAddress: r.readAddress(),
        };
    }

    async getCurParams(provider: ContractProvider): Promise<RootCurParams> {
        const r = (await provider.get('get_cur_params', [])).stack;
        return readCurParams(r);
    }

    async getProxyHashIsValid(provider: ContractProvider, hash: bigint): Promise<boolean> {
        return this.hashIsValid(provider, 'proxy_hash_is_valid', hash);
    }

    async getWorkerHashIsValid(provider: ContractProvider, hash: bigint): Promise<boolean> {
        return this.hashIsValid(provider, 'worker_hash_is_valid', hash);
    }

    async getModelHashIsValid(provider: ContractProvider, hash: bigint): Promise<boolean> {
        return this.hashIsValid(provider, 'model_hash_is_valid', hash);
    }

    async getLastProxySeqno(provider: ContractProvider): Promise<number> {
        return (await provider.get('last_proxy_seqno', [])).stack.readNumber();
    }

    // The whole storage, decoded from the account data (registered proxies have no getter).
    async getConfig(provider: ContractProvider): Promise<RootConfig> {
        const state = await provider.getState();
        if (state.state.type !== 'active' || !state.state.data) {
            throw new Error('root is not active');
        }
        return rootConfigFromCell(Cell.fromBoc(state.state.data)[0]);
    }

    private async hashIsValid(provider: ContractProvider, getter: string, hash: bigint): Promise<boolean> {
        const r = (await provider.get(getter, [{ type: 'int', value: hash }])).stack.readBigNumber();
        if (r !== 0n && r !== -1n) {
            throw new Error(`${getter} returned ${r}, want -1 or 0`);
        }
        return r === -1n;
    }
}

function readCurParams(r: TupleReader): RootCurParams {
    return {
        paramsVersion: r.readNumber(),
        uniqueId: r.readNumber(),
        isTest: r.readNumber() !== 0,
        pricePerToken: r.readBigNumber(),
        workerFeePerToken: r.readBigNumber(),
        cachedTokensPriceMultiplier: r.readNumber(),
        reasoningTokensPriceMultiplier: r.readNumber(),
        proxyDelayBeforeClose: r.readNumber(),
        clientDelayBeforeClose: r.readNumber(),
        minProxyStake: r.readBigNumber(),
        minClientStake: r.readBigNumber(),
        proxyScHash: r.readBigNumber(),
        workerScHash: r.readBigNumber(),
        clientScHash: r.readBigNumber(),
    };
}
