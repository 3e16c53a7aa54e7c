import { Address, beginCell, Cell } from '@ton/core';
import { internal } from '@ton/sandbox';
import '@ton/test-utils';
import { ClientMsg, clientStateToCell } from '../wrappers/Client';
import { COMMISSION, Err, excessesBody, Op, payoutBody, proxyParams, signCell, signedEnvelope, State, STORAGE_FLOOR } from '../wrappers/common';
import { CocoonProxy, ProxyMsg } from '../wrappers/Proxy';
import { WorkerMsg } from '../wrappers/Worker';
import { accountData, codes, defaultParams, expectActions, findTx, keepOf, NOW, ONE_TON, otherKey, proxyKey, pubkeyInt } from './helpers';
import { expectFailsAt, Network, newNetwork, sendFrom, sendTo } from './network';

describe('CocoonProxy', () => {
    let n: Network;

    beforeEach(async () => {
        n = await newNetwork();
    });

    const send = (from: Address, value: bigint, body: Cell) => sendTo(n, n.proxy.address, STORAGE_FLOOR, from, value, body);

    const expectFails = (from: Address, value: bigint, body: Cell, code: number) =>
        expectFailsAt(n, n.proxy.address, STORAGE_FLOOR, from, value, body, code);

    const owner = () => n.proxyOwner.address;
    const close = (complete: boolean, q = 1n, key = proxyKey.secretKey, addr?: Address) =>
        ProxyMsg.close(complete, q, addr ?? n.proxy.address, n.relay.address, key);

    // Client requests forged from the client's derived address.
    const clientRequest = (payload: Cell | null, q = 1n) =>
        ClientMsg.proxyRequest(q, n.clientOwner.address, clientStateToCell({ state: 0, balance: 0n, stake: 0n, tokensUsed: 0n, secretHash: 0n }), payload);
    const workerRequest = (payload: Cell | null, q = 1n) => WorkerMsg.proxyRequest(q, n.workerOwner.address, 0, 10n, payload);

    async function startClose() {
        await send(owner(), ONE_TON, ProxyMsg.ownerClose(1n, owner()));
        expect((await n.proxy.getData()).state).toBe(State.closing);
    }

    async function completeClose() {
        await startClose();
        n.chain.now = NOW + 3600;
        await send(n.relay.address, ONE_TON, close(true));
        expect((await n.proxy.getData()).state).toBe(State.closed);
    }

    it('starts with its deployed data; the getter has 12 values', async () => {
        const d = await n.proxy.getData();
        expect(d.owner.toString()).toBe(owner().toString());
        expect(d.root.toString()).toBe(n.rootAddress.toString());
        expect(d).toMatchObject({
            proxyPublicKey: pubkeyInt(proxyKey),
            state: 0,
            balance: 0n,
            stake: ONE_TON,
            unlockTs: 0,
            pricePerToken: 1_000_000n,
            workerFeePerToken: 100_000n,
            minProxyStake: ONE_TON,
            minClientStake: ONE_TON,
            paramsVersion: 1,
        });
        expect((await n.chain.runGetMethod(n.proxy.address, 97687, [])).stack.length).toBe(12);
    });

    it('ignores an empty body, do_not_process (save-state records) and bounced messages', async () => {
        const saveState = beginCell().storeUint(Op.doNotProcess, 32).storeUint(7, 64).storeUint(0x53109c0f, 32).storeInt(-1, 32).storeUint(5, 256).endCell();
        for (const [body, bounced] of [
            [Cell.EMPTY, false],
            [saveState, false],
            [beginCell().storeUint(0xffffffff, 32).storeUint(Op.payout, 32).endCell(), true],
        ] as [Cell, boolean][]) {
            const r = await n.chain.sendMessage(internal({ from: n.stranger.address, to: n.proxy.address, value: ONE_TON, body, bounced }));
            expect(r.transactions).toHaveTransaction({ to: n.proxy.address, success: true, outMessagesCount: 0 });
        }
    });

    it('pays the earned balance to the owner on a payout request from anyone', async () => {
        // Earn something through a worker payout.
        await n.worker.sendBody(n.relay.getSender(), ONE_TON, WorkerMsg.payout(false, 1n, 100n, n.worker.address, n.relay.address, proxyKey.secretKey));
        const earned = 100n * (1_000_000n - 100_000n);
        expect((await n.proxy.getData()).balance).toBe(earned);
        await expectFails(n.stranger.address, COMMISSION - 1n, ProxyMsg.payoutRequest(1n, n.relay.address), Err.lowMsgValue);
        const { tx, keep } = await send(n.stranger.address, COMMISSION, ProxyMsg.payoutRequest(3n, n.relay.address));
        expectActions(tx, [
            { reserve: keep - earned },
            { mode: 1, bounce: false, to: owner(), value: earned, body: payoutBody(3n) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(3n) },
        ]);
        expect((await n.proxy.getData()).balance).toBe(0n);
    });

    it('increases the stake with the attached coins', async () => {
        await expectFails(n.stranger.address, ONE_TON + COMMISSION - 1n, ProxyMsg.increaseStake(1n, ONE_TON, n.relay.address), Err.lowMsgValue);
        const { tx, keep } = await send(n.stranger.address, ONE_TON + COMMISSION, ProxyMsg.increaseStake(2n, ONE_TON, n.relay.address));
        expectActions(tx, [{ reserve: keep + ONE_TON }, { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(2n) }]);
        expect(await n.proxy.getData()).toMatchObject({ stake: 2n * ONE_TON, balance: 0n });
    });

    it('closes in two phases: owner close, then the signed close-complete after the delay', async () => {
        await expectFails(n.stranger.address, ONE_TON, ProxyMsg.ownerClose(1n, owner()), Err.expectedMessageFromOwner);
        await expectFails(owner(), COMMISSION - 1n, ProxyMsg.ownerClose(1n, owner()), Err.lowMsgValue);
        const { tx, keep } = await send(owner(), ONE_TON, ProxyMsg.ownerClose(4n, n.relay.address));
        expectActions(tx, [{ reserve: keep }, { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(4n) }]);
        expect(await n.proxy.getData()).toMatchObject({ state: State.closing, unlockTs: NOW + 3600 });
        await expectFails(owner(), ONE_TON, ProxyMsg.ownerClose(1n, owner()), Err.closed);
        await expectFails(owner(), ONE_TON, ProxyMsg.text('c'), Err.closed);
        await expectFails(n.relay.address, ONE_TON, close(false), Err.closed);
        await expectFails(n.relay.address, ONE_TON, close(true), Err.notUnlockedYet);
        await expectFails(n.relay.address, ONE_TON, close(true, 1n, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, ONE_TON, close(true, 1n, proxyKey.secretKey, n.worker.address), Err.expectedMyAddress);
        n.chain.now = NOW + 3600;
        const ownerBefore = (await n.chain.getContract(owner())).balance;
        const proxyBalance = (await n.chain.getContract(n.proxy.address)).balance;
        const res = await send(n.relay.address, ONE_TON, close(true, 5n));
        expectActions(res.tx, [{ reserve: STORAGE_FLOOR }, { mode: 128, bounce: false, to: owner(), value: 0n, body: payoutBody(5n) }]);
        expect(await n.proxy.getData()).toMatchObject({ state: State.closed, unlockTs: 0, balance: 0n, stake: 0n });
        expect((await n.chain.getContract(owner())).balance - ownerBefore).toBeGreaterThan(proxyBalance - STORAGE_FLOOR);
        // Closed: everything that checks the state answers 1006.
        await expectFails(n.relay.address, ONE_TON, close(true), Err.closed);
        await expectFails(n.stranger.address, ONE_TON, ProxyMsg.payoutRequest(1n, n.relay.address), Err.closed);
        await expectFails(n.stranger.address, 2n * ONE_TON, ProxyMsg.increaseStake(1n, ONE_TON, n.relay.address), Err.closed);
        await expectFails(owner(), ONE_TON, ProxyMsg.text('w'), Err.closed);
        await expectFails(owner(), ONE_TON, ProxyMsg.text('c'), Err.closed);
    });

    it('starts a close on a signed request relayed by anyone', async () => {
        await expectFails(n.relay.address, ONE_TON, close(false, 1n, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, ONE_TON, close(false, 1n, proxyKey.secretKey, n.client.address), Err.expectedMyAddress);
        await expectFails(n.relay.address, COMMISSION - 1n, close(false), Err.lowMsgValue);
        const { tx, keep } = await send(n.relay.address, COMMISSION, close(false, 8n));
        expectActions(tx, [{ reserve: keep }, { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(8n) }]);
        expect((await n.proxy.getData()).state).toBe(State.closing);
    });

    it.each([
        ['payload op differs', () => ProxyMsg.closePayload(true, 1n, n.proxy.address), Err.signedMsgFormatMismatch],
        ['payload query id differs', () => ProxyMsg.closePayload(false, 2n, n.proxy.address), Err.signedMsgFormatMismatch],
        ['payload has trailing bits', () => beginCell().storeSlice(ProxyMsg.closePayload(false, 1n, n.proxy.address).beginParse()).storeBit(0).endCell(), Err.cellUnderflow],
    ])('rejects a close request whose %s', async (_, make, code) => {
        const payload = make();
        await expectFails(n.relay.address, ONE_TON, signedEnvelope(Op.proxyCloseRequestSigned, 1n, n.relay.address, payload, signCell(payload, proxyKey.secretKey)), code);
    });

    it('checks the signature before the value (FunC order; the Tolk port answers 1003)', async () => {
        await expectFails(n.relay.address, COMMISSION - 1n, close(false, 1n, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, COMMISSION - 1n, close(true, 1n), Err.lowMsgValue);
    });

    it('text "c" closes from the owner with excesses to the owner', async () => {
        await expectFails(n.stranger.address, ONE_TON, ProxyMsg.text('c'), Err.expectedMessageFromOwner);
        await expectFails(owner(), COMMISSION - 1n, ProxyMsg.text('c'), Err.lowMsgValue);
        const { tx, keep } = await send(owner(), ONE_TON, ProxyMsg.text('c'));
        expectActions(tx, [{ reserve: keep }, { mode: 128, bounce: false, to: owner(), value: 0n, body: excessesBody(0n) }]);
        expect((await n.proxy.getData()).state).toBe(State.closing);
    });

    it('text "w" sends the earned balance and the rest of the value to the owner, also while closing', async () => {
        await n.worker.sendBody(n.relay.getSender(), ONE_TON, WorkerMsg.payout(false, 1n, 10n, n.worker.address, n.relay.address, proxyKey.secretKey));
        const earned = 10n * 900_000n;
        await startClose();
        await expectFails(n.stranger.address, ONE_TON, ProxyMsg.text('w'), Err.expectedMessageFromOwner);
        await expectFails(owner(), COMMISSION - 1n, ProxyMsg.text('w'), Err.lowMsgValue);
        const { tx, keep } = await send(owner(), ONE_TON, ProxyMsg.text('w'));
        expectActions(tx, [{ reserve: keep - earned }, { mode: 128, bounce: false, to: owner(), value: 0n, body: payoutBody(0n) }]);
        expect((await n.proxy.getData()).balance).toBe(0n);
    });

    it.each([
        ['an unknown text command', ProxyMsg.text('x'), Err.unknownTextOp],
        ['a text command with a trailing byte', beginCell().storeUint(0, 32).storeUint(0x63, 8).storeUint(0x63, 8).endCell(), Err.cellUnderflow],
        ['an unknown op', beginCell().storeUint(0x12345678, 32).storeUint(1, 64).endCell(), Err.unknownOp],
        ['the C++ owner close without query id', beginCell().storeUint(Op.ownerProxyClose, 32).storeAddress(Address.parse('0:' + '11'.repeat(32))).endCell(), Err.cellUnderflow],
    ])('rejects %s', async (_, body, code) => {
        await expectFails(owner(), ONE_TON, body, code);
    });

    describe('worker requests', () => {
        it('pays the worker part to the worker owner and credits the proxy part', async () => {
            const payload = WorkerMsg.payoutRequest(1000n, 9000n, n.relay.address);
            const { tx, keep } = await (async () => {
                const before = (await n.chain.getContract(n.proxy.address)).balance;
                const txs = await sendFrom(n.chain, n.worker.address, n.proxy.address, ONE_TON, workerRequest(payload, 6n));
                const t = findTx(txs, n.proxy.address, n.worker.address);
                return { tx: t, keep: keepOf(t, before, STORAGE_FLOOR) };
            })();
            expectActions(tx, [
                { reserve: keep - 1000n },
                { mode: 1, bounce: false, to: n.workerOwner.address, value: 1000n, body: payoutBody(6n) },
                { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(6n) },
            ]);
            expect((await n.proxy.getData()).balance).toBe(9000n);
        });

        it('accepts a request without payload from anyone, returning its coins to the named owner', async () => {
            const before = await accountData(n.chain, n.proxy.address);
            const txs = await sendFrom(n.chain, n.stranger.address, n.proxy.address, ONE_TON, workerRequest(null, 4n));
            const tx = findTx(txs, n.proxy.address, n.stranger.address);
            expectActions(tx, [{ mode: 64 | 2, bounce: false, to: n.workerOwner.address, value: 0n, body: excessesBody(4n) }]);
            expect((await accountData(n.chain, n.proxy.address)).equals(before)).toBe(true);
        });

        it('keeps the coins of a notice that names no owner, without failing', async () => {
            const body = beginCell().storeUint(Op.workerProxyRequest, 32).storeUint(1, 64).storeAddress(null).storeUint(0, 66).storeBit(0).endCell();
            const txs = await sendFrom(n.chain, n.stranger.address, n.proxy.address, ONE_TON, body);
            const tx = findTx(txs, n.proxy.address, n.stranger.address);
            expect(tx).toHaveTransaction({ success: true, outMessagesCount: 0 });
        });

        it('refuses a payload from an address that is not the derived worker with 1014', async () => {
            await expectFails(n.stranger.address, ONE_TON, workerRequest(WorkerMsg.payoutRequest(1n, 1n, n.relay.address)), Err.contractAddressMismatch);
        });

        it('refuses an unknown inner op with 1012 and a closed proxy with 1006', async () => {
            const bad = beginCell().storeUint(0x1234, 32).endCell();
            let txs = await sendFrom(n.chain, n.worker.address, n.proxy.address, ONE_TON, workerRequest(bad));
            expect(txs).toHaveTransaction({ to: n.proxy.address, exitCode: Err.unknownOp });
            await completeClose();
            txs = await sendFrom(n.chain, n.worker.address, n.proxy.address, ONE_TON, workerRequest(WorkerMsg.payoutRequest(1n, 1n, n.relay.address)));
            expect(txs).toHaveTransaction({ to: n.proxy.address, exitCode: Err.closed });
        });
    });

    describe('client requests', () => {
        async function fromClient(payload: Cell | null, value = ONE_TON, q = 1n) {
            const before = (await n.chain.getContract(n.proxy.address)).balance;
            const txs = await sendFrom(n.chain, n.client.address, n.proxy.address, value, clientRequest(payload, q));
            const tx = findTx(txs, n.proxy.address, n.client.address);
            return { txs, tx, keep: keepOf(tx, before, STORAGE_FLOOR) };
        }
        const coins = (op: number, c: bigint) => ClientMsg.coinsPayload(op, c, n.relay.address);

        it('keeps top-ups while normal and while closing, returns them when closed', async () => {
            let r = await fromClient(coins(Op.clientProxyTopUp, ONE_TON), 2n * ONE_TON, 2n);
            expectActions(r.tx, [{ reserve: r.keep + ONE_TON }, { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(2n) }]);
            await startClose();
            r = await fromClient(coins(Op.clientProxyTopUp, ONE_TON), 2n * ONE_TON, 3n);
            expectActions(r.tx, [{ reserve: r.keep + ONE_TON }, { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(3n) }]);
            n.chain.now = NOW + 3600;
            await send(n.relay.address, ONE_TON, close(true));
            r = await fromClient(coins(Op.clientProxyTopUp, ONE_TON), 2n * ONE_TON, 4n);
            expectActions(r.tx, [
                { reserve: r.keep },
                { mode: 0, bounce: false, to: n.clientOwner.address, value: ONE_TON, body: payoutBody(4n) },
                { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(4n) },
            ]);
        });

        it('treats register as a no-op, with or without the nonce', async () => {
            for (const payload of [ClientMsg.registerPayload(5n), beginCell().storeUint(Op.clientProxyRegister, 32).endCell()]) {
                const { tx } = await fromClient(payload);
                expect(tx).toHaveTransaction({ success: true, outMessagesCount: 0 });
            }
        });

        it('pays a granted refund to the client owner, unless closed', async () => {
            const { tx, keep } = await fromClient(coins(Op.clientProxyRefundGranted, 2n * ONE_TON), ONE_TON, 5n);
            expectActions(tx, [
                { reserve: keep - 2n * ONE_TON },
                { mode: 1, bounce: false, to: n.clientOwner.address, value: 2n * ONE_TON, body: payoutBody(5n) },
                { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(5n) },
            ]);
            await completeClose();
            const r = await fromClient(coins(Op.clientProxyRefundGranted, ONE_TON));
            expect(r.tx).toHaveTransaction({ exitCode: Err.closed });
        });

        it('pays a forced refund in full, charging the stake first', async () => {
            const { tx, keep } = await fromClient(coins(Op.clientProxyRefundForce, ONE_TON / 2n), ONE_TON, 6n);
            expectActions(tx, [
                { reserve: keep - ONE_TON / 2n },
                { mode: 1, bounce: false, to: n.clientOwner.address, value: ONE_TON / 2n, body: payoutBody(6n) },
                { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(6n) },
            ]);
            expect((await n.proxy.getData()).stake).toBe(ONE_TON / 2n);
            // More than the stake: still paid in full from the deposits (FunC would pay only the stake).
            const r = await fromClient(coins(Op.clientProxyRefundForce, 3n * ONE_TON), ONE_TON, 7n);
            expectActions(r.tx, [
                { reserve: r.keep - 3n * ONE_TON },
                { mode: 1, bounce: false, to: n.clientOwner.address, value: 3n * ONE_TON, body: payoutBody(7n) },
                { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(7n) },
            ]);
            expect((await n.proxy.getData()).stake).toBe(0n);
        });

        it('caps a forced refund by what the proxy holds above its floor', async () => {
            n = await newNetwork({ proxyStake: 0n, proxyFunds: ONE_TON });
            const { tx, keep } = await fromClient(coins(Op.clientProxyRefundForce, 5n * ONE_TON), ONE_TON, 8n);
            expectActions(tx, [
                { reserve: STORAGE_FLOOR },
                { mode: 1, bounce: false, to: n.clientOwner.address, value: keep - STORAGE_FLOOR, body: payoutBody(8n) },
                { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(8n) },
            ]);
        });

        it('refuses a forced refund when closed with 1006', async () => {
            await completeClose();
            const r = await fromClient(coins(Op.clientProxyRefundForce, ONE_TON));
            expect(r.tx).toHaveTransaction({ exitCode: Err.closed });
        });

        it('refuses payloads from an address that is not the derived client with 1014', async () => {
            await expectFails(n.stranger.address, ONE_TON, clientRequest(coins(Op.clientProxyRefundGranted, ONE_TON)), Err.contractAddressMismatch);
            // The worker's address is not a client address either.
            const txs = await sendFrom(n.chain, n.worker.address, n.proxy.address, ONE_TON, clientRequest(coins(Op.clientProxyTopUp, 1n)));
            expect(txs).toHaveTransaction({ to: n.proxy.address, exitCode: Err.contractAddressMismatch });
        });

        it('accepts a request without payload from anyone, refuses unknown inner ops', async () => {
            const txs = await sendFrom(n.chain, n.stranger.address, n.proxy.address, ONE_TON, clientRequest(null, 6n));
            expectActions(findTx(txs, n.proxy.address, n.stranger.address), [
                { mode: 64 | 2, bounce: false, to: n.clientOwner.address, value: 0n, body: excessesBody(6n) },
            ]);
            const r = await fromClient(beginCell().storeUint(0x1234, 32).endCell());
            expect(r.tx).toHaveTransaction({ exitCode: Err.unknownOp });
        });
    });

    it('accepts no child when its params lack the child code (1014)', async () => {
        n = await newNetwork({ params: defaultParams({ workerScCode: null, clientScCode: null }) });
        let txs = await sendFrom(n.chain, n.worker.address, n.proxy.address, ONE_TON, workerRequest(WorkerMsg.payoutRequest(1n, 1n, n.relay.address)));
        expect(txs).toHaveTransaction({ to: n.proxy.address, exitCode: Err.contractAddressMismatch });
        txs = await sendFrom(n.chain, n.client.address, n.proxy.address, ONE_TON, clientRequest(ClientMsg.coinsPayload(Op.clientProxyTopUp, 1n, n.relay.address)));
        expect(txs).toHaveTransaction({ to: n.proxy.address, exitCode: Err.contractAddressMismatch });
    });

    it('refuses params of another struct version with 1008 (getter, close, child checks)', async () => {
        const config = { ...n.proxyConfig, params: { ...proxyParams(defaultParams()), structVersion: 2 } };
        const proxy = n.chain.openContract(CocoonProxy.createFromConfig(config, codes.proxy));
        await proxy.sendDeploy(n.proxyOwner.getSender(), ONE_TON);
        await expect(proxy.getData()).rejects.toThrow();
        let r = await proxy.sendBody(n.proxyOwner.getSender(), ONE_TON, ProxyMsg.ownerClose(1n, owner()));
        expect(r.transactions).toHaveTransaction({ to: proxy.address, exitCode: Err.storedDataDamaged });
        r = await proxy.sendBody(n.stranger.getSender(), ONE_TON, workerRequest(WorkerMsg.payoutRequest(1n, 1n, n.relay.address)));
        expect(r.transactions).toHaveTransaction({ to: proxy.address, exitCode: Err.storedDataDamaged });
    });
});
