// Whole flows through real messages only: a cocoon wallet deploys and drives the children, the
// proxy settles, and no path leaves money stranded.
import { Address, Cell, external, internal as coreInternal, toNano } from '@ton/core';
import '@ton/test-utils';
import { ClientMsg, CocoonClient, initialClientConfig } from '../wrappers/Client';
import { COMMISSION, excessesBody, Op, State, STORAGE_FLOOR } from '../wrappers/common';
import { CocoonRoot, RootMsg } from '../wrappers/Root';
import { CocoonWallet, walletExternalBody, walletSignedPart } from '../wrappers/Wallet';
import { WorkerMsg } from '../wrappers/Worker';
import { ProxyMsg } from '../wrappers/Proxy';
import { codes, defaultParams, expectActions, keyFromSeedByte, NOW, ONE_TON, proxyKey, pubkeyInt, rootConfig } from './helpers';
import { computeSkippedNoGas, Network, newNetwork } from './network';

const walletKey = keyFromSeedByte(3);
const PRICE = 1_000_000n;

async function balance(n: Network, a: Address): Promise<bigint> {
    return (await n.chain.getContract(a)).balance;
}

// Sum of the payouts (op payout) that reached dest.
function payoutsTo(txs: { inMessage?: { info: { type: string; dest?: unknown; value?: { coins: bigint } }; body: Cell } | null }[], dest: Address): bigint {
    let sum = 0n;
    for (const t of txs) {
        const m = t.inMessage;
        if (!m || m.info.type !== 'internal' || !(m.info.dest instanceof Address) || !m.info.dest.equals(dest)) continue;
        const s = m.body.beginParse();
        if (s.remainingBits >= 32 && s.loadUint(32) === Op.payout) {
            sum += m.info.value!.coins;
        }
    }
    return sum;
}

describe('flows', () => {
    it('root administration: register a proxy and the allowed hashes that nodes check', async () => {
        const n = await newNetwork();
        const root = n.chain.openContract(
            CocoonRoot.createFromConfig(rootConfig(n.proxyOwner.address), codes.root),
        );
        await root.sendDeploy(n.proxyOwner.getSender(), ONE_TON);
        const v = toNano('0.01');
        await root.sendBody(n.proxyOwner.getSender(), v, RootMsg.hashOp(Op.addProxyType, 1n, 0xaan));
        await root.sendBody(n.proxyOwner.getSender(), v, RootMsg.hashOp(Op.addWorkerType, 2n, 0xbbn));
        await root.sendBody(n.proxyOwner.getSender(), v, RootMsg.hashOp(Op.addModelType, 3n, 0xccn));
        await root.sendBody(n.proxyOwner.getSender(), v, RootMsg.registerProxy(4n, '91.108.4.11:5222 91.108.4.11:8888'));
        const cfg = await root.getConfig();
        expect(cfg).toMatchObject({ version: 4, lastProxySeqno: 1, proxyHashes: [0xaan], workerHashes: [0xbbn], modelHashes: [0xccn] });
        expect(cfg.registeredProxies.get(1)).toBe('91.108.4.11:5222 91.108.4.11:8888');
        expect((await root.getCurParams()).proxyScHash).toBe(BigInt('0x' + codes.proxy.hash().toString('hex')));
    });

    it('a cocoon wallet deploys its client and registers (long auth) with the nonce visible at the proxy', async () => {
        const n = await newNetwork();
        const wallet = n.chain.openContract(
            CocoonWallet.createFromConfig({ seqno: 0, subwalletId: 0, publicKey: pubkeyInt(walletKey), status: 0, owner: n.clientOwner.address }, codes.wallet),
        );
        await wallet.sendDeploy(n.clientOwner.getSender(), 30n * ONE_TON);
        const client = n.chain.openContract(
            CocoonClient.createFromConfig(initialClientConfig(wallet.address, n.proxy.address, pubkeyInt(proxyKey), n.proxyConfig.params), codes.client),
        );
        const nonce = 0x0123456789abcdefn;
        const deployAndRegister = coreInternal({
            to: client.address,
            value: ONE_TON,
            bounce: false,
            init: client.init,
            body: ClientMsg.register(1n, nonce, wallet.address),
        });
        const topUp = coreInternal({ to: client.address, value: 16n * ONE_TON, body: ClientMsg.topUp(2n, 15n * ONE_TON, wallet.address) });
        const signed = walletSignedPart(0, NOW + 3600, 0, [
            { mode: 0, message: deployAndRegister },
            { mode: 0, message: topUp },
        ]);
        const r = await n.chain.sendMessage(external({ to: wallet.address, body: walletExternalBody(walletKey.secretKey, signed) }));
        expect(r.transactions).toHaveTransaction({ to: client.address, deploy: true, success: true });
        // The register notice reaches the proxy with 1 nanoTON; its compute phase is skipped, but the
        // inbound message (what the off-chain proxy reads) carries op + 64-bit nonce.
        const notice = r.transactions.find(
            (t) => t.inMessage?.info.dest instanceof Address && t.inMessage.info.dest.equals(n.proxy.address) && t.inMessage.info.type === 'internal' && t.inMessage.info.value.coins === 1n,
        )!;
        expect(computeSkippedNoGas(notice)).toBe(true);
        const s = notice.inMessage!.body.beginParse();
        expect(s.loadUint(32)).toBe(Op.clientProxyRequest);
        expect(s.loadUintBig(64)).toBe(1n);
        expect(s.loadAddress().equals(wallet.address)).toBe(true);
        s.loadRef();
        const p = s.loadMaybeRef()!.beginParse();
        expect([p.loadUint(32), p.loadUintBig(64), p.remainingBits]).toEqual([Op.clientProxyRegister, nonce, 0]);
        expect(await client.getData()).toMatchObject({ state: State.normal, balance: 15n * ONE_TON, stake: ONE_TON });
        expect(await wallet.getSeqno()).toBe(1);
    });

    it('issue #77: a client of a proxy with stake 0 gets its whole deposit back after a forced refund', async () => {
        const params = defaultParams({ minClientStake: 15n * ONE_TON });
        const n = await newNetwork({ params, proxyStake: 0n, proxyFunds: ONE_TON });
        const c = n.client.address;
        // Top up 20 TON, spend 1 TON in signed charges.
        let txs = (await n.client.sendBody(n.relay.getSender(), 21n * ONE_TON, ClientMsg.topUp(1n, 20n * ONE_TON, n.relay.address))).transactions;
        for (let i = 1n; i <= 4n; i++) {
            await n.client.sendBody(n.relay.getSender(), COMMISSION * 2n, ClientMsg.charge(10n + i, i * 250n, c, n.relay.address, proxyKey.secretKey));
        }
        expect(await n.client.getData()).toMatchObject({ balance: 19n * ONE_TON, tokensUsed: 1000n, stake: 15n * ONE_TON });
        // Close: the excess above the stake comes back at once.
        txs = (await n.client.sendBody(n.clientOwner.getSender(), ONE_TON, ClientMsg.requestRefund(2n, n.clientOwner.address))).transactions;
        expect(payoutsTo(txs, n.clientOwner.address)).toBe(4n * ONE_TON);
        // Nobody signs a grant refund; after the delay the owner forces it.
        n.chain.now = NOW + 3601;
        const clientOwn = await balance(n, c);
        txs = (await n.client.sendBody(n.clientOwner.getSender(), ONE_TON, ClientMsg.requestRefund(3n, n.relay.address))).transactions;
        expect(payoutsTo(txs, n.clientOwner.address)).toBe(15n * ONE_TON);
        expect(await n.client.getData()).toMatchObject({ state: State.closed, balance: 0n });
        // The client contract's own TON came back as excesses to the chosen address.
        expect(await balance(n, c)).toBeLessThanOrEqual(STORAGE_FLOOR);
        expect(clientOwn).toBeGreaterThan(STORAGE_FLOOR);
        expect(txs).toHaveTransaction({ from: n.proxy.address, to: n.relay.address, op: Op.excesses, success: true });
        expect((await n.proxy.getData()).stake).toBe(0n);
    });

    it('the proxy signs a grant refund when it sees a client closing: everything returns at once', async () => {
        const n = await newNetwork();
        await n.client.sendBody(n.relay.getSender(), 6n * ONE_TON, ClientMsg.topUp(1n, 5n * ONE_TON, n.relay.address));
        let txs = (await n.client.sendBody(n.clientOwner.getSender(), ONE_TON, ClientMsg.requestRefund(2n, n.clientOwner.address))).transactions;
        expect(payoutsTo(txs, n.clientOwner.address)).toBe(4n * ONE_TON);
        expect((await n.client.getData()).state).toBe(State.closing);
        txs = (await n.client.sendBody(n.relay.getSender(), COMMISSION * 2n, ClientMsg.grantRefund(3n, 500n, n.client.address, n.clientOwner.address, proxyKey.secretKey))).transactions;
        expect(payoutsTo(txs, n.clientOwner.address)).toBe(ONE_TON - 500n * PRICE);
        expect(await n.client.getData()).toMatchObject({ state: State.closed, balance: 0n, tokensUsed: 500n });
        expect(await balance(n, n.client.address)).toBeLessThanOrEqual(STORAGE_FLOOR);
    });

    it('integration: top-ups, charges, worker payouts, earnings, last payout and proxy close', async () => {
        const n = await newNetwork();
        for (let i = 1n; i <= 3n; i++) {
            await n.client.sendBody(n.relay.getSender(), 11n * ONE_TON, ClientMsg.topUp(i, 10n * ONE_TON, n.relay.address));
        }
        let workerPaid = 0n;
        for (let i = 1n; i <= 5n; i++) {
            await n.client.sendBody(n.relay.getSender(), COMMISSION * 2n, ClientMsg.charge(100n + i, i * 1000n, n.client.address, n.relay.address, proxyKey.secretKey));
            const txs = (await n.worker.sendBody(n.relay.getSender(), ONE_TON / 3n, WorkerMsg.payout(i === 5n, 200n + i, i * 1000n, n.worker.address, n.relay.address, proxyKey.secretKey))).transactions;
            workerPaid += payoutsTo(txs, n.workerOwner.address);
        }
        expect(workerPaid).toBe(5000n * 100_000n);
        expect(await n.client.getData()).toMatchObject({ state: State.normal, balance: 30n * ONE_TON - 5000n * PRICE, tokensUsed: 5000n });
        expect(await n.worker.getData()).toMatchObject({ state: State.closed, tokens: 5000n });
        expect(await balance(n, n.worker.address)).toBeLessThanOrEqual(STORAGE_FLOOR);
        const proxyData = await n.proxy.getData();
        expect(proxyData).toMatchObject({ state: State.normal, balance: 5000n * 900_000n });
        let txs = (await n.proxy.sendBody(n.proxyOwner.getSender(), COMMISSION * 2n, ProxyMsg.text('w'))).transactions;
        expect(payoutsTo(txs, n.proxyOwner.address)).toBeGreaterThan(5000n * 900_000n);
        expect((await n.proxy.getData()).balance).toBe(0n);
        // Close: the client is refunded in full through a grant while the proxy is closing.
        await n.proxy.sendBody(n.proxyOwner.getSender(), COMMISSION * 2n, ProxyMsg.ownerClose(1n, n.proxyOwner.address));
        const clientBalance = (await n.client.getData()).balance;
        txs = (await n.client.sendBody(n.relay.getSender(), COMMISSION * 2n, ClientMsg.grantRefund(300n, 5000n, n.client.address, n.relay.address, proxyKey.secretKey))).transactions;
        expect(payoutsTo(txs, n.clientOwner.address)).toBe(clientBalance);
        n.chain.now = NOW + 3600;
        const proxyFunds = await balance(n, n.proxy.address);
        txs = (await n.proxy.sendBody(n.relay.getSender(), COMMISSION * 2n, ProxyMsg.close(true, 9n, n.proxy.address, n.relay.address, proxyKey.secretKey))).transactions;
        expect(payoutsTo(txs, n.proxyOwner.address)).toBeGreaterThan(proxyFunds - STORAGE_FLOOR);
        expect(await balance(n, n.proxy.address)).toBeLessThanOrEqual(STORAGE_FLOOR);
        expect(await n.proxy.getData()).toMatchObject({ state: State.closed, balance: 0n, stake: 0n });
    });

    it('a proxy that closed before the client refunds: the coins the refused refund carried go back to the owner', async () => {
        const n = await newNetwork();
        await n.client.sendBody(n.relay.getSender(), 3n * ONE_TON, ClientMsg.topUp(1n, 2n * ONE_TON, n.relay.address));
        await n.client.sendBody(n.clientOwner.getSender(), ONE_TON, ClientMsg.requestRefund(2n, n.relay.address));
        await n.proxy.sendBody(n.proxyOwner.getSender(), ONE_TON, ProxyMsg.ownerClose(3n, n.proxyOwner.address));
        n.chain.now = NOW + 3601;
        await n.proxy.sendBody(n.relay.getSender(), ONE_TON, ProxyMsg.close(true, 4n, n.proxy.address, n.relay.address, proxyKey.secretKey));
        expect((await n.proxy.getData()).state).toBe(State.closed);
        const clientOwn = await balance(n, n.client.address);
        const txs = (await n.client.sendBody(n.clientOwner.getSender(), ONE_TON, ClientMsg.requestRefund(5n, n.relay.address))).transactions;
        expect(txs).toHaveTransaction({ from: n.client.address, to: n.proxy.address, exitCode: 1006 });
        const bounce = txs.find((t) => t.inMessage?.info.type === 'internal' && t.inMessage.info.bounced && t.inMessage.info.dest.equals(n.client.address))!;
        expectActions(bounce, [{ mode: 64, bounce: false, to: n.clientOwner.address, value: 0n, body: excessesBody(5n) }]);
        const back = txs.find((t) => t.inMessage?.info.dest instanceof Address && t.inMessage.info.dest.equals(n.clientOwner.address) && t.inMessage.info.src instanceof Address && t.inMessage.info.src.equals(n.client.address))!;
        const body = back.inMessage!.body.beginParse();
        expect([body.loadUint(32), body.loadUintBig(64)]).toEqual([Op.excesses, 5n]);
        expect(back.inMessage!.info.type === 'internal' && back.inMessage!.info.value.coins).toBeGreaterThan(clientOwn);
        expect(await balance(n, n.client.address)).toBeLessThanOrEqual(STORAGE_FLOOR);
    });

    it('a worker paid out after its proxy closed gets the refused request back to its owner', async () => {
        const n = await newNetwork();
        await n.proxy.sendBody(n.proxyOwner.getSender(), ONE_TON, ProxyMsg.ownerClose(3n, n.proxyOwner.address));
        n.chain.now = NOW + 3601;
        await n.proxy.sendBody(n.relay.getSender(), ONE_TON, ProxyMsg.close(true, 4n, n.proxy.address, n.relay.address, proxyKey.secretKey));
        const txs = (await n.worker.sendBody(n.relay.getSender(), ONE_TON, WorkerMsg.payout(true, 6n, 10n, n.worker.address, n.relay.address, proxyKey.secretKey))).transactions;
        expect(txs).toHaveTransaction({ from: n.worker.address, to: n.proxy.address, exitCode: 1006 });
        expect(txs).toHaveTransaction({ from: n.worker.address, to: n.workerOwner.address, op: Op.excesses, success: true });
        expect(await balance(n, n.worker.address)).toBeLessThanOrEqual(STORAGE_FLOOR);
    });
});
