// A proxy with a real client and worker derived from its params, for the money-path suites.
import { Address, Cell } from '@ton/core';
import { Blockchain, BlockchainTransaction, internal, SandboxContract } from '@ton/sandbox';
import { CocoonClient, initialClientConfig } from '../wrappers/Client';
import { CocoonParams, proxyParams } from '../wrappers/common';
import { clientAddressFor, CocoonProxy, ProxyConfig, workerAddressFor } from '../wrappers/Proxy';
import { CocoonWorker, initialWorkerConfig } from '../wrappers/Worker';
import { accountData, codes, defaultParams, findTx, keepOf, newChain, ONE_TON, proxyKey, pubkeyInt, Treasury } from './helpers';

export type Network = {
    chain: Blockchain;
    proxyOwner: Treasury;
    clientOwner: Treasury;
    workerOwner: Treasury;
    relay: Treasury;
    stranger: Treasury;
    rootAddress: Address;
    proxyConfig: ProxyConfig;
    proxy: SandboxContract<CocoonProxy>;
    client: SandboxContract<CocoonClient>;
    worker: SandboxContract<CocoonWorker>;
};

export type NetworkOptions = {
    params?: CocoonParams;
    proxyStake?: bigint;
    proxyFunds?: bigint;
    clientFunds?: bigint;
    workerFunds?: bigint;
};

export async function newNetwork(opts: NetworkOptions = {}): Promise<Network> {
    const chain = await newChain();
    const [proxyOwner, clientOwner, workerOwner, relay, stranger] = await Promise.all(
        ['proxy-owner', 'client-owner', 'worker-owner', 'relay', 'stranger'].map((s) => chain.treasury(s)),
    );
    const rootAddress = Address.parse('0:' + '77'.repeat(32));
    const params = proxyParams(opts.params ?? defaultParams());
    const proxyConfig: ProxyConfig = {
        owner: proxyOwner.address,
        proxyPublicKey: pubkeyInt(proxyKey),
        root: rootAddress,
        state: 0,
        balance: 0n,
        stake: opts.proxyStake ?? ONE_TON,
        unlockTs: 0,
        params,
    };
    const proxy = chain.openContract(CocoonProxy.createFromConfig(proxyConfig, codes.proxy));
    await proxy.sendDeploy(proxyOwner.getSender(), opts.proxyFunds ?? 10n * ONE_TON);
    const client = chain.openContract(
        CocoonClient.createFromConfig(initialClientConfig(clientOwner.address, proxy.address, proxyConfig.proxyPublicKey, params), codes.client),
    );
    if (params.clientScCode && !client.address.equals(clientAddressFor(proxy.address, proxyConfig, clientOwner.address))) {
        throw new Error('client address derivation differs');
    }
    await client.sendDeploy(clientOwner.getSender(), opts.clientFunds ?? ONE_TON);
    const worker = chain.openContract(
        CocoonWorker.createFromConfig(initialWorkerConfig(workerOwner.address, proxy.address, proxyConfig.proxyPublicKey, params), codes.worker),
    );
    if (params.workerScCode && !worker.address.equals(workerAddressFor(proxy.address, proxyConfig, workerOwner.address))) {
        throw new Error('worker address derivation differs');
    }
    await worker.sendDeploy(workerOwner.getSender(), opts.workerFunds ?? ONE_TON);
    return { chain, proxyOwner, clientOwner, workerOwner, relay, stranger, rootAddress, proxyConfig, proxy, client, worker };
}

// Sends body from `from` to the contract at `to`: the result, its transactions, the contract's
// transaction and what the contract keeps during it (keepOf, at least floor).
export async function sendTo(n: Network, to: Address, floor: bigint, from: Address, value: bigint, body: Cell) {
    const before = (await n.chain.getContract(to)).balance;
    const r = await n.chain.sendMessage(internal({ from, to, value, body }));
    const tx = findTx(r.transactions, to, from);
    return { r, txs: r.transactions, tx, keep: keepOf(tx, before, floor) };
}

// Expects body from `from` to abort at the contract at `to` with code, leaving its data as it was.
export async function expectFailsAt(n: Network, to: Address, floor: bigint, from: Address, value: bigint, body: Cell, code: number) {
    const before = await accountData(n.chain, to);
    const { tx } = await sendTo(n, to, floor, from, value, body);
    expect(tx).toHaveTransaction({ exitCode: code, aborted: true });
    expect((await accountData(n.chain, to)).equals(before)).toBe(true);
}

// Sends a message with an arbitrary sender (a forged child, for proxy checks).
export async function sendFrom(chain: Blockchain, from: Address, to: Address, value: bigint, body: Cell): Promise<BlockchainTransaction[]> {
    return (await chain.sendMessage(internal({ from, to, value, body }))).transactions;
}

export function computeSkippedNoGas(tx: BlockchainTransaction): boolean {
    return tx.description.type === 'generic' && tx.description.computePhase.type === 'skipped' && tx.description.computePhase.reason === 'no-gas';
}
