import { Address, beginCell, Cell } from '@ton/core';
import { internal } from '@ton/sandbox';
import '@ton/test-utils';
import { CHILD_FLOOR, COMMISSION, Err, excessesBody, Op, payoutBody, proxyParams, signCell, signedEnvelope, State, STORAGE_FLOOR } from '../wrappers/common';
import { workerAddressFor } from '../wrappers/Proxy';
import { CocoonWorker, initialWorkerConfig, WorkerMsg } from '../wrappers/Worker';
import { codes, defaultParams, expectActions, findTx, ONE_TON, otherKey, proxyKey, pubkeyInt } from './helpers';
import { computeSkippedNoGas, expectFailsAt, Network, newNetwork, sendTo } from './network';

describe('CocoonWorker', () => {
    let n: Network;

    beforeEach(async () => {
        n = await newNetwork();
    });

    const send = (from: Address, value: bigint, body: Cell, to: Address = n.worker.address) => sendTo(n, to, CHILD_FLOOR, from, value, body);

    const expectFails = (from: Address, value: bigint, body: Cell, code: number) =>
        expectFailsAt(n, n.worker.address, CHILD_FLOOR, from, value, body, code);

    const payout = (last: boolean, q: bigint, tokens: bigint, key = proxyKey.secretKey, addr?: Address) =>
        WorkerMsg.payout(last, q, tokens, addr ?? n.worker.address, n.relay.address, key);

    it('starts with the derived initial state at a deterministic address', async () => {
        const d = await n.worker.getData();
        expect(d.owner.toString()).toBe(n.workerOwner.address.toString());
        expect(d.proxy.toString()).toBe(n.proxy.address.toString());
        expect(d).toMatchObject({ proxyPublicKey: pubkeyInt(proxyKey), state: 0, tokens: 0n });
        expect((await n.chain.runGetMethod(n.worker.address, 106427, [])).stack.length).toBe(5);
        const again = CocoonWorker.createFromConfig(
            initialWorkerConfig(n.workerOwner.address, n.proxy.address, pubkeyInt(proxyKey), proxyParams(defaultParams())),
            codes.worker,
        );
        expect(again.address.equals(n.worker.address)).toBe(true);
        expect(workerAddressFor(n.proxy.address, n.proxyConfig, n.stranger.address).equals(n.worker.address)).toBe(false);
    });

    it('turns a signed payout into a payout request that the proxy settles', async () => {
        const { tx, txs, keep } = await send(n.relay.address, ONE_TON, payout(false, 3n, 1000n));
        const workerPart = 1000n * 100_000n;
        const proxyPart = 1000n * 900_000n;
        expectActions(tx, [
            { reserve: keep },
            {
                mode: 128,
                bounce: true,
                to: n.proxy.address,
                value: 0n,
                body: WorkerMsg.proxyRequest(3n, n.workerOwner.address, 0, 1000n, WorkerMsg.payoutRequest(workerPart, proxyPart, n.relay.address)),
            },
        ]);
        expect((await n.worker.getData()).tokens).toBe(1000n);
        expect(txs).toHaveTransaction({ from: n.proxy.address, to: n.workerOwner.address, op: Op.payout, value: workerPart, body: payoutBody(3n) });
        expect(txs).toHaveTransaction({ from: n.proxy.address, to: n.relay.address, op: Op.excesses, body: excessesBody(3n) });
        expect((await n.proxy.getData()).balance).toBe(proxyPart);
        // The next payout pays only the increase.
        const r2 = await send(n.relay.address, ONE_TON, payout(false, 4n, 1500n));
        expect(r2.txs).toHaveTransaction({ from: n.proxy.address, to: n.workerOwner.address, value: 500n * 100_000n });
    });

    it('refuses bad payouts', async () => {
        await send(n.relay.address, ONE_TON, payout(false, 1n, 10n));
        await expectFails(n.relay.address, ONE_TON, payout(false, 2n, 10n), Err.oldMessage);
        await expectFails(n.relay.address, ONE_TON, payout(false, 2n, 9n), Err.oldMessage);
        await expectFails(n.relay.address, ONE_TON, payout(false, 2n, 20n, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, ONE_TON, payout(false, 2n, 20n, proxyKey.secretKey, n.client.address), Err.expectedMyAddress);
        // The value must be strictly above the commission.
        await expectFails(n.relay.address, COMMISSION, payout(false, 2n, 20n), Err.lowMsgValue);
        const wrongOp = WorkerMsg.payoutPayload(true, 2n, 20n, n.worker.address);
        await expectFails(n.relay.address, ONE_TON, signedEnvelope(Op.workerPayoutSigned, 2n, n.relay.address, wrongOp, signCell(wrongOp, proxyKey.secretKey)), Err.signedMsgFormatMismatch);
    });

    it('last payout closes the worker and forwards all but the storage floor', async () => {
        await send(n.relay.address, ONE_TON, payout(false, 1n, 10n));
        await expectFails(n.relay.address, ONE_TON, payout(true, 2n, 9n), Err.oldMessage);
        await expectFails(n.relay.address, ONE_TON, payout(true, 2n, 20n, otherKey.secretKey), Err.badSignature);
        const { tx } = await send(n.relay.address, ONE_TON, payout(true, 2n, 10n));
        expectActions(tx, [
            { reserve: STORAGE_FLOOR },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: WorkerMsg.proxyRequest(2n, n.workerOwner.address, State.closed, 10n, WorkerMsg.payoutRequest(0n, 0n, n.relay.address)) },
        ]);
        expect(await n.worker.getData()).toMatchObject({ state: State.closed, tokens: 10n });
        for (const body of [
            payout(false, 3n, 30n),
            payout(true, 3n, 30n),
            WorkerMsg.register(1n, n.workerOwner.address),
            beginCell().storeUint(0x12345678, 32).storeUint(0, 64).endCell(),
        ]) {
            await expectFails(n.workerOwner.address, ONE_TON, body, Err.closed);
        }
    });

    it('registers from the owner with a notice to the proxy', async () => {
        await expectFails(n.stranger.address, ONE_TON, WorkerMsg.register(1n, n.relay.address), Err.expectedMessageFromOwner);
        await expectFails(n.workerOwner.address, COMMISSION, WorkerMsg.register(1n, n.relay.address), Err.lowMsgValue);
        // Owner and value are checked before the body is parsed.
        await expectFails(n.stranger.address, ONE_TON, beginCell().storeUint(Op.ownerWorkerRegister, 32).storeUint(1, 64).endCell(), Err.expectedMessageFromOwner);
        await expectFails(n.workerOwner.address, ONE_TON, beginCell().storeUint(Op.ownerWorkerRegister, 32).storeUint(1, 64).endCell(), Err.cellUnderflow);
        const { tx, txs, keep } = await send(n.workerOwner.address, ONE_TON, WorkerMsg.register(5n, n.relay.address));
        expectActions(tx, [
            { reserve: keep },
            { mode: 1, bounce: true, to: n.proxy.address, value: 1n, body: WorkerMsg.proxyRequest(5n, n.workerOwner.address, 0, 0n, null) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(5n) },
        ]);
        expect(computeSkippedNoGas(findTx(txs, n.proxy.address, n.worker.address))).toBe(true);
    });

    it('checks in FunC order: signature before value, value before address', async () => {
        await expectFails(n.relay.address, COMMISSION / 2n, payout(false, 1n, 10n, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, COMMISSION / 2n, payout(false, 1n, 10n, proxyKey.secretKey, n.client.address), Err.lowMsgValue);
        await expectFails(n.relay.address, ONE_TON, payout(false, 1n, 0n, proxyKey.secretKey, n.client.address), Err.expectedMyAddress);
    });

    it('ignores an empty body, do_not_process and bounced messages; unknown ops get 1012', async () => {
        for (const [body, bounced] of [
            [Cell.EMPTY, false],
            [beginCell().storeUint(Op.doNotProcess, 32).endCell(), false],
            [beginCell().storeUint(0xffffffff, 32).endCell(), true],
        ] as [Cell, boolean][]) {
            const r = await n.chain.sendMessage(internal({ from: n.stranger.address, to: n.worker.address, value: ONE_TON, body, bounced }));
            expect(r.transactions).toHaveTransaction({ to: n.worker.address, success: true, outMessagesCount: 0 });
        }
        await expectFails(n.workerOwner.address, ONE_TON, beginCell().storeUint(0x12345678, 32).storeUint(0, 64).endCell(), Err.unknownOp);
    });

    it('fails with a range check when the price is below the worker fee', async () => {
        const params = proxyParams(defaultParams({ pricePerToken: 1n, workerFeePerToken: 2n }));
        const worker = n.chain.openContract(CocoonWorker.createFromConfig(initialWorkerConfig(n.workerOwner.address, n.proxy.address, pubkeyInt(proxyKey), params), codes.worker));
        await worker.sendDeploy(n.workerOwner.getSender(), ONE_TON);
        const r = await worker.sendBody(n.relay.getSender(), ONE_TON, WorkerMsg.payout(false, 1n, 5n, worker.address, n.relay.address, proxyKey.secretKey));
        expect(r.transactions).toHaveTransaction({ to: worker.address, exitCode: 5 });
    });

    it('refuses damaged params with 1008 on payouts', async () => {
        const params = { ...proxyParams(defaultParams()), structVersion: 4 };
        const worker = n.chain.openContract(CocoonWorker.createFromConfig({ ...initialWorkerConfig(n.workerOwner.address, n.proxy.address, pubkeyInt(proxyKey), params) }, codes.worker));
        await worker.sendDeploy(n.workerOwner.getSender(), ONE_TON);
        const r = await worker.sendBody(n.relay.getSender(), ONE_TON, WorkerMsg.payout(false, 1n, 5n, worker.address, n.relay.address, proxyKey.secretKey));
        expect(r.transactions).toHaveTransaction({ to: worker.address, exitCode: Err.storedDataDamaged });
    });
});
