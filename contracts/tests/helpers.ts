// Shared fixtures for the contract suites: keys, default params, committed code, and byte-exact
// checks of a transaction's action list.
import { Address, beginCell, Builder, Cell, Transaction } from '@ton/core';
import { keyPairFromSeed, KeyPair } from '@ton/crypto';
import { Blockchain, BlockchainTransaction, SandboxContract, TreasuryContract } from '@ton/sandbox';
import { flattenTransaction } from '@ton/test-utils';
import { CocoonParams, ONE_TON } from '../wrappers/common';
import { loadCode } from '../wrappers/compile';
import { RootConfig } from '../wrappers/Root';

export const NOW = 1_800_000_000;

export function keyFromSeedByte(b: number): KeyPair {
    const seed = Buffer.alloc(32, 0);
    seed[31] = b;
    return keyPairFromSeed(seed);
}

export const proxyKey = keyFromSeedByte(1);
export const otherKey = keyFromSeedByte(2);

export function pubkeyInt(k: KeyPair): bigint {
    return BigInt('0x' + k.publicKey.toString('hex'));
}

export const codes = {
    root: loadCode('root'),
    proxy: loadCode('proxy'),
    client: loadCode('client'),
    worker: loadCode('worker'),
    wallet: loadCode('wallet'),
};

export function defaultParams(over: Partial<CocoonParams> = {}): CocoonParams {
    return {
        paramsVersion: 1,
        uniqueId: 12345,
        isTest: true,
        pricePerToken: 1_000_000n,
        workerFeePerToken: 100_000n,
        promptTokensPriceMultiplier: 11000,
        cachedTokensPriceMultiplier: 12000,
        completionTokensPriceMultiplier: 13000,
        reasoningTokensPriceMultiplier: 14000,
        proxyDelayBeforeClose: 3600,
        clientDelayBeforeClose: 3600,
        minProxyStake: ONE_TON,
        minClientStake: ONE_TON,
        proxyScCode: null,
        workerScCode: codes.worker,
        clientScCode: codes.client,
        ...over,
    };
}

// A root owned by owner with no lists, no proxies and the default params
// with the proxy code, changed by over.
export function rootConfig(owner: Address, over: Partial<RootConfig> = {}): RootConfig {
    return {
        owner,
        version: 0,
        proxyHashes: [],
        registeredProxies: new Map(),
        lastProxySeqno: 0,
        workerHashes: [],
        modelHashes: [],
        params: defaultParams({ proxyScCode: codes.proxy }),
        ...over,
    };
}

export async function newChain(): Promise<Blockchain> {
    const chain = await Blockchain.create();
    chain.now = NOW;
    return chain;
}

// One expected action of a transaction: a reserve, or a message sent with a mode.
export type ExpectedAction =
    | { reserve: bigint; mode?: number }
    | { setCode: Cell }
    | { mode: number; bounce: boolean; to: Address; value: bigint; body: Cell };

// The message cell a contract builds: flags, dest, value, 107 zero bits, the body inline.
export function messageCell(bounce: boolean, to: Address, value: bigint, body: Cell): Cell {
    return beginCell()
        .storeUint(bounce ? 0x18 : 0x10, 6)
        .storeAddress(to)
        .storeCoins(value)
        .storeUint(0, 107)
        .storeSlice(body.beginParse())
        .endCell();
}

export function actionListCell(actions: ExpectedAction[]): Cell {
    let list = beginCell().endCell();
    for (const a of actions) {
        const b: Builder = beginCell().storeRef(list);
        if ('setCode' in a) {
            b.storeUint(0xad4de08e, 32).storeRef(a.setCode);
        } else if ('reserve' in a) {
            b.storeUint(0x36e6b809, 32).storeUint(a.mode ?? 0, 8).storeCoins(a.reserve).storeBit(false);
        } else {
            b.storeUint(0x0ec3c86d, 32).storeUint(a.mode, 8).storeRef(messageCell(a.bounce, a.to, a.value, a.body));
        }
        list = b.endCell();
    }
    return list;
}

function describeActions(tx: BlockchainTransaction): string {
    return JSON.stringify(
        (tx.outActions ?? []).map((a) => {
            if (a.type === 'sendMsg') {
                const info = a.outMsg.info;
                return {
                    send: a.mode,
                    to: info.dest?.toString(),
                    value: info.type === 'internal' ? info.value.coins.toString() : undefined,
                    bounce: info.type === 'internal' ? info.bounce : undefined,
                    body: a.outMsg.body.toBoc().toString('hex'),
                };
            }
            if (a.type === 'reserve') {
                return { reserve: a.currency.coins.toString(), mode: a.mode };
            }
            return { type: a.type };
        }),
    );
}

// Asserts that the transaction's action list is exactly the expected one, bit for bit (the action
// phase records the hash of the list, so this checks modes, reserves, headers and inline bodies).
export function expectActions(tx: BlockchainTransaction, actions: ExpectedAction[]) {
    if (tx.description.type !== 'generic') {
        throw new Error('not a generic transaction');
    }
    const phase = tx.description.actionPhase;
    if (!phase) {
        throw new Error(`no action phase; exit code ${exitCode(tx)}`);
    }
    const want = BigInt('0x' + actionListCell(actions).hash().toString('hex'));
    if (phase.actionListHash !== want) {
        throw new Error(`action list differs:\n got ${describeActions(tx)}\nwant ${JSON.stringify(actions, (_, v) =>
            typeof v === 'bigint' ? v.toString() : v instanceof Cell ? v.toBoc().toString('hex') : v instanceof Address ? v.toString() : v,
        )}`);
    }
    expect(phase.success).toBe(true);
}

export function exitCode(tx: Transaction): number | undefined {
    return flattenTransaction(tx).exitCode;
}

// The floor a contract keeps during tx: its balance before the message (after storage fees plus the
// storage debt), at least floor.
export function keepOf(tx: Transaction, balanceBefore: bigint, floor: bigint): bigint {
    if (tx.description.type !== 'generic') {
        throw new Error('not a generic transaction');
    }
    const sp = tx.description.storagePhase;
    const collected = sp?.storageFeesCollected ?? 0n;
    const due = sp?.storageFeesDue ?? 0n;
    const prev = balanceBefore - collected + due;
    return prev > floor ? prev : floor;
}

export function findTx(txs: BlockchainTransaction[], on: Address, from?: Address): BlockchainTransaction {
    const tx = txs.find(
        (t) =>
            t.inMessage?.info.dest instanceof Address &&
            t.inMessage.info.dest.equals(on) &&
            (from === undefined || (t.inMessage.info.src instanceof Address && t.inMessage.info.src.equals(from))),
    );
    if (!tx) {
        throw new Error(`no transaction on ${on.toString()}`);
    }
    return tx;
}

export async function balanceOf(chain: Blockchain, a: Address): Promise<bigint> {
    return (await chain.getContract(a)).balance;
}

export type Treasury = SandboxContract<TreasuryContract>;

export { ONE_TON };

// The account's persistent data cell.
export async function accountData(chain: Blockchain, a: Address): Promise<Cell> {
    const acc = (await chain.getContract(a)).account.account;
    if (!acc || acc.storage.state.type !== 'active' || !acc.storage.state.state.data) {
        throw new Error(`account ${a.toString()} is not active`);
    }
    return acc.storage.state.state.data;
}
