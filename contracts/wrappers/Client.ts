// The COCOON client: storage codec, address derivation, message builders and getter.
import { Address, beginCell, Cell, Contract, ContractProvider, Sender, SendMode } from '@ton/core';
import { addressOf, childParams, CocoonParams, Op, paramsFromCell, paramsToCell, signCell, signedEnvelope, signedPayload } from './common';

export type ClientConfig = {
    state: number;
    balance: bigint;
    stake: bigint;
    tokensUsed: bigint;
    unlockTs: number;
    secretHash: bigint;
    owner: Address;
    proxy: Address;
    proxyPublicKey: bigint;
    params: CocoonParams; // stored without code
};

export function clientConfigToCell(c: ClientConfig): Cell {
    const constData = beginCell().storeAddress(c.owner).storeAddress(c.proxy).storeUint(c.proxyPublicKey, 256).endCell();
    return beginCell()
        .storeUint(c.state, 2)
        .storeCoins(c.balance)
        .storeCoins(c.stake)
        .storeUint(c.tokensUsed, 64)
        .storeUint(c.unlockTs, 32)
        .storeUint(c.secretHash, 256)
        .storeRef(constData)
        .storeRef(paramsToCell(c.params))
        .endCell();
}

export function clientConfigFromCell(cell: Cell): ClientConfig {
    const s = cell.beginParse();
    const state = s.loadUint(2);
    const balance = s.loadCoins();
    const stake = s.loadCoins();
    const tokensUsed = s.loadUintBig(64);
    const unlockTs = s.loadUint(32);
    const secretHash = s.loadUintBig(256);
    const cs = s.loadRef().beginParse();
    const params = paramsFromCell(s.loadRef());
    s.endParse();
    const owner = cs.loadAddress();
    const proxy = cs.loadAddress();
    const proxyPublicKey = cs.loadUintBig(256);
    cs.endParse();
    return { state, balance, stake, tokensUsed, unlockTs, secretHash, owner, proxy, proxyPublicKey, params };
}

// The initial data a proxy expects for a client of owner: stake = min_client_stake of the proxy's
// params, everything else 0, params without code.
export function initialClientConfig(owner: Address, proxy: Address, proxyPublicKey: bigint, proxyParams: CocoonParams): ClientConfig {
    return {
        state: 0,
        balance: 0n,
        stake: proxyParams.minClientStake,
        tokensUsed: 0n,
        unlockTs: 0,
        secretHash: 0n,
        owner,
        proxy,
        proxyPublicKey,
        params: childParams(proxyParams),
    };
}

// The state cell a client reports to its proxy.
export type ClientState = { state: number; balance: bigint; stake: bigint; tokensUsed: bigint; secretHash: bigint };

export function clientStateToCell(s: ClientState): Cell {
    return beginCell()
        .storeUint(s.state, 2)
        .storeCoins(s.balance)
        .storeCoins(s.stake)
        .storeUint(s.tokensUsed, 64)
        .storeUint(s.secretHash, 256)
        .endCell();
}

const withExcess = (op: number, queryId: bigint) => beginCell().storeUint(op, 32).storeUint(queryId, 64);

export const ClientMsg = {
    topUp: (queryId: bigint, amount: bigint, sendExcessesTo: Address) =>
        withExcess(Op.extClientTopUp, queryId).storeCoins(amount).storeAddress(sendExcessesTo).endCell(),
    changeSecretHashAndTopUp: (queryId: bigint, amount: bigint, secretHash: bigint, sendExcessesTo: Address) =>
        withExcess(Op.ownerClientChangeSecretHashAndTopUp, queryId)
            .storeCoins(amount)
            .storeUint(secretHash, 256)
            .storeAddress(sendExcessesTo)
            .endCell(),
    register: (queryId: bigint, nonce: bigint, sendExcessesTo: Address) =>
        withExcess(Op.ownerClientRegister, queryId).storeUint(nonce, 64).storeAddress(sendExcessesTo).endCell(),
    changeSecretHash: (queryId: bigint, secretHash: bigint, sendExcessesTo: Address) =>
        withExcess(Op.ownerClientChangeSecretHash, queryId).storeUint(secretHash, 256).storeAddress(sendExcessesTo).endCell(),
    increaseStake: (queryId: bigint, newStake: bigint, sendExcessesTo: Address) =>
        withExcess(Op.ownerClientIncreaseStake, queryId).storeCoins(newStake).storeAddress(sendExcessesTo).endCell(),
    withdraw: (queryId: bigint, sendExcessesTo: Address) =>
        withExcess(Op.ownerClientWithdraw, queryId).storeAddress(sendExcessesTo).endCell(),
    requestRefund: (queryId: bigint, sendExcessesTo: Address) =>
        withExcess(Op.ownerClientRequestRefund, queryId).storeAddress(sendExcessesTo).endCell(),
    signedPayload: (grant: boolean, queryId: bigint, newTokensUsed: bigint, expected: Address) =>
        signedPayload(grant ? Op.clientGrantRefundSigned : Op.clientChargeSigned, queryId, (b) =>
            b.storeUint(newTokensUsed, 64).storeAddress(expected),
        ),
    charge: (queryId: bigint, newTokensUsed: bigint, client: Address, sendExcessesTo: Address, secretKey: Buffer) => {
        const payload = ClientMsg.signedPayload(false, queryId, newTokensUsed, client);
        return signedEnvelope(Op.clientChargeSigned, queryId, sendExcessesTo, payload, signCell(payload, secretKey));
    },
    grantRefund: (queryId: bigint, newTokensUsed: bigint, client: Address, sendExcessesTo: Address, secretKey: Buffer) => {
        const payload = ClientMsg.signedPayload(true, queryId, newTokensUsed, client);
        return signedEnvelope(Op.clientGrantRefundSigned, queryId, sendExcessesTo, payload, signCell(payload, secretKey));
    },
    // What the client sends to the proxy (client_proxy_request) and its payloads.
    proxyRequest: (queryId: bigint, owner: Address, state: Cell, payload: Cell | null) =>
        beginCell()
            .storeUint(Op.clientProxyRequest, 32)
            .storeUint(queryId, 64)
            .storeAddress(owner)
            .storeRef(state)
            .storeMaybeRef(payload)
            .endCell(),
    coinsPayload: (op: number, coins: bigint, sendExcessesTo: Address) =>
        beginCell().storeUint(op, 32).storeCoins(coins).storeAddress(sendExcessesTo).endCell(),
    registerPayload: (nonce: bigint) => beginCell().storeUint(Op.clientProxyRegister, 32).storeUint(nonce, 64).endCell(),
};

export type ClientData = {
    owner: Address;
    proxy: Address;
    proxyPublicKey: bigint;
    state: number;
    balance: bigint;
    stake: bigint;
    tokensUsed: bigint;
    unlockTs: number;
    secretHash: bigint;
};

export class CocoonClient implements Contract {
    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    static createFromConfig(config: ClientConfig, code: Cell): CocoonClient {
        const data = clientConfigToCell(config);
        return new CocoonClient(addressOf(code, data), { code, data });
    }

    async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body: beginCell().endCell() });
    }

    async sendBody(provider: ContractProvider, via: Sender, value: bigint, body: Cell) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
    }

    async getData(provider: ContractProvider): Promise<ClientData> {
        const r = (await provider.get('get_cocoon_client_data', [])).stack;
        return {
            owner: r.readAddress(),
            proxy: r.readAddress(),
            proxyPublicKey: r.readBigNumber(),
            state: r.readNumber(),
            balance: r.readBigNumber(),
            stake: r.readBigNumber(),
            tokensUsed: r.readBigNumber(),
            unlockTs: r.readNumber(),
            secretHash: r.readBigNumber(),
        };
    }
}
