import { Address, beginCell, Cell } from '@ton/core';
import { internal } from '@ton/sandbox';
import '@ton/test-utils';
import { ClientConfig, ClientMsg, CocoonClient, clientStateToCell, initialClientConfig } from '../wrappers/Client';
import { CHILD_FLOOR, COMMISSION, Err, excessesBody, Op, payoutBody, proxyParams, signCell, signedEnvelope, State, STORAGE_FLOOR } from '../wrappers/common';
import { codes, defaultParams, expectActions, findTx, keepOf, NOW, ONE_TON, otherKey, proxyKey, pubkeyInt } from './helpers';
import { computeSkippedNoGas, expectFailsAt, Network, newNetwork, sendTo } from './network';

describe('CocoonClient', () => {
    let n: Network;

    beforeEach(async () => {
        n = await newNetwork();
    });

    const send = (from: Address, value: bigint, body: Cell) => sendTo(n, n.client.address, CHILD_FLOOR, from, value, body);

    async function stateCell(): Promise<Cell> {
        const d = await n.client.getData();
        return clientStateToCell(d);
    }

    function report(queryId: bigint, state: Cell, payload: Cell | null): Cell {
        return ClientMsg.proxyRequest(queryId, n.clientOwner.address, state, payload);
    }

    async function topUp(amount: bigint, queryId = 1n) {
        return send(n.stranger.address, amount + COMMISSION + ONE_TON / 10n, ClientMsg.topUp(queryId, amount, n.relay.address));
    }

    const expectFails = (from: Address, value: bigint, body: Cell, code: number) =>
        expectFailsAt(n, n.client.address, CHILD_FLOOR, from, value, body, code);

    it('starts with the derived initial state', async () => {
        const d = await n.client.getData();
        expect(d.owner.toString()).toBe(n.clientOwner.address.toString());
        expect(d.proxy.toString()).toBe(n.proxy.address.toString());
        expect(d).toMatchObject({ proxyPublicKey: pubkeyInt(proxyKey), state: 0, balance: 0n, stake: ONE_TON, tokensUsed: 0n, unlockTs: 0, secretHash: 0n });
        // get_cocoon_client_data by its FunC id returns 9 values.
        expect((await n.chain.runGetMethod(n.client.address, 75156, [])).stack.length).toBe(9);
    });

    it('tops up: credits the balance and carries the coins to the proxy, which keeps them', async () => {
        const proxyBefore = (await n.chain.getContract(n.proxy.address)).balance;
        const { txs, tx, keep } = await topUp(3n * ONE_TON, 5n);
        expect((await n.client.getData()).balance).toBe(3n * ONE_TON);
        const payload = ClientMsg.coinsPayload(Op.clientProxyTopUp, 3n * ONE_TON, n.relay.address);
        expectActions(tx, [
            { reserve: keep },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(5n, await stateCell(), payload) },
        ]);
        const ptx = findTx(txs, n.proxy.address, n.client.address);
        expectActions(ptx, [
            { reserve: keepOf(ptx, proxyBefore, STORAGE_FLOOR) + 3n * ONE_TON },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(5n) },
        ]);
        expect(txs).toHaveTransaction({ from: n.proxy.address, to: n.relay.address, op: Op.excesses, success: true });
    });

    it('changes the secret hash together with a top-up, from the owner only', async () => {
        const body = ClientMsg.changeSecretHashAndTopUp(2n, ONE_TON, 0x1234n, n.relay.address);
        await expectFails(n.stranger.address, 2n * ONE_TON, body, Err.expectedMessageFromOwner);
        const { tx, keep } = await send(n.clientOwner.address, 2n * ONE_TON, body);
        expect((await n.client.getData()).secretHash).toBe(0x1234n);
        expect((await n.client.getData()).balance).toBe(ONE_TON);
        expectActions(tx, [
            { reserve: keep },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(2n, await stateCell(), ClientMsg.coinsPayload(Op.clientProxyTopUp, ONE_TON, n.relay.address)) },
        ]);
    });

    it('changes the secret hash with a notice to the proxy', async () => {
        await expectFails(n.stranger.address, ONE_TON, ClientMsg.changeSecretHash(1n, 7n, n.relay.address), Err.expectedMessageFromOwner);
        const { tx, txs, keep } = await send(n.clientOwner.address, ONE_TON, ClientMsg.changeSecretHash(3n, 7n, n.relay.address));
        expect((await n.client.getData()).secretHash).toBe(7n);
        expectActions(tx, [
            { reserve: keep },
            { mode: 1, bounce: true, to: n.proxy.address, value: 1n, body: report(3n, await stateCell(), null) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(3n) },
        ]);
        // The 1-nanoTON notice cannot pay for gas: the proxy's compute phase is skipped.
        expect(computeSkippedNoGas(findTx(txs, n.proxy.address, n.client.address))).toBe(true);
    });

    it('registers with the nonce in the proxy payload (op + 64-bit nonce)', async () => {
        await expectFails(n.stranger.address, ONE_TON, ClientMsg.register(1n, 42n, n.relay.address), Err.expectedMessageFromOwner);
        const { tx, keep } = await send(n.clientOwner.address, ONE_TON, ClientMsg.register(9n, 0xfeedbeefcafe0001n, n.relay.address));
        const payload = ClientMsg.registerPayload(0xfeedbeefcafe0001n);
        expect(payload.bits.length).toBe(96);
        expectActions(tx, [
            { reserve: keep },
            { mode: 1, bounce: true, to: n.proxy.address, value: 1n, body: report(9n, await stateCell(), payload) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(9n) },
        ]);
    });

    it('increases the stake only upwards', async () => {
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.increaseStake(1n, ONE_TON, n.relay.address), Err.lowMsgValue);
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.increaseStake(1n, ONE_TON / 2n, n.relay.address), Err.lowMsgValue);
        await expectFails(n.stranger.address, ONE_TON, ClientMsg.increaseStake(1n, 2n * ONE_TON, n.relay.address), Err.expectedMessageFromOwner);
        const { tx, keep } = await send(n.clientOwner.address, ONE_TON, ClientMsg.increaseStake(4n, 2n * ONE_TON, n.relay.address));
        expect((await n.client.getData()).stake).toBe(2n * ONE_TON);
        expectActions(tx, [
            { reserve: keep },
            { mode: 1, bounce: true, to: n.proxy.address, value: 1n, body: report(4n, await stateCell(), null) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(4n) },
        ]);
    });

    it('withdraws the balance above the stake through the proxy', async () => {
        await topUp(3n * ONE_TON);
        await expectFails(n.stranger.address, ONE_TON, ClientMsg.withdraw(1n, n.relay.address), Err.expectedOwner);
        const proxyBefore = (await n.chain.getContract(n.proxy.address)).balance;
        const { tx, txs, keep } = await send(n.clientOwner.address, ONE_TON, ClientMsg.withdraw(6n, n.relay.address));
        expect((await n.client.getData()).balance).toBe(ONE_TON);
        const payload = ClientMsg.coinsPayload(Op.clientProxyRefundGranted, 2n * ONE_TON, n.relay.address);
        expectActions(tx, [
            { reserve: keep },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(6n, await stateCell(), payload) },
        ]);
        const ptx = findTx(txs, n.proxy.address, n.client.address);
        expectActions(ptx, [
            { reserve: keepOf(ptx, proxyBefore, STORAGE_FLOOR) - 2n * ONE_TON },
            { mode: 1, bounce: false, to: n.clientOwner.address, value: 2n * ONE_TON, body: payoutBody(6n) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(6n) },
        ]);
        // Nothing above the stake is left.
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.withdraw(1n, n.relay.address), Err.lowSmcBalance);
    });

    it('request refund: normal -> closing with the excess refunded, then forced refund after the delay', async () => {
        await topUp(3n * ONE_TON);
        await expectFails(n.stranger.address, ONE_TON, ClientMsg.requestRefund(1n, n.relay.address), Err.expectedOwner);
        const { tx, keep } = await send(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(7n, n.relay.address));
        let d = await n.client.getData();
        expect(d).toMatchObject({ state: State.closing, balance: ONE_TON, unlockTs: NOW + 3600 });
        expectActions(tx, [
            { reserve: keep },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(7n, await stateCell(), ClientMsg.coinsPayload(Op.clientProxyRefundGranted, 2n * ONE_TON, n.relay.address)) },
        ]);
        // Withdraw needs state normal; the forced refund waits for unlock_ts < now (strictly).
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.withdraw(1n, n.relay.address), Err.closed);
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(1n, n.relay.address), Err.notUnlockedYet);
        n.chain.now = NOW + 3600;
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(1n, n.relay.address), Err.notUnlockedYet);
        n.chain.now = NOW + 3601;
        const ownerBefore = (await n.chain.getContract(n.clientOwner.address)).balance;
        const res = await send(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(8n, n.relay.address));
        d = await n.client.getData();
        expect(d).toMatchObject({ state: State.closed, balance: 0n, unlockTs: NOW + 3600 });
        // Only the storage floor stays in the closed client; the rest travels to the proxy and back
        // as excesses.
        expectActions(res.tx, [
            { reserve: STORAGE_FLOOR },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(8n, await stateCell(), ClientMsg.coinsPayload(Op.clientProxyRefundForce, ONE_TON, n.relay.address)) },
        ]);
        expect(res.txs).toHaveTransaction({ from: n.proxy.address, to: n.clientOwner.address, op: Op.payout, value: ONE_TON });
        expect((await n.chain.getContract(n.client.address)).balance).toBeLessThanOrEqual(STORAGE_FLOOR);
        expect((await n.chain.getContract(n.clientOwner.address)).balance - ownerBefore).toBeGreaterThan(0n);
        await expectFails(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(1n, n.relay.address), Err.closed);
    });

    it('request refund without an excess above the stake sends a close notice the proxy executes', async () => {
        await topUp(ONE_TON / 2n);
        const proxyBefore = (await n.chain.getContract(n.proxy.address)).balance;
        const { tx, txs, keep } = await send(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(3n, n.relay.address));
        expect((await n.client.getData()).state).toBe(State.closing);
        expectActions(tx, [
            { reserve: keep },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(3n, await stateCell(), null) },
        ]);
        // Unlike a 1-nanoTON notice, the proxy runs it and returns the coins to the client owner.
        const ptx = findTx(txs, n.proxy.address, n.client.address);
        expect(computeSkippedNoGas(ptx)).toBe(false);
        expectActions(ptx, [{ mode: 64 | 2, bounce: false, to: n.clientOwner.address, value: 0n, body: excessesBody(3n) }]);
        expect(txs).toHaveTransaction({ from: n.proxy.address, to: n.clientOwner.address, op: Op.excesses, success: true });
        expect((await n.chain.getContract(n.proxy.address)).balance).toBeGreaterThanOrEqual(proxyBefore);
    });

    it('charges signed token counters at the client price', async () => {
        await topUp(3n * ONE_TON);
        const charge = (q: bigint, tokens: bigint, key = proxyKey.secretKey, addr = n.client.address) => ClientMsg.charge(q, tokens, addr, n.relay.address, key);
        const { tx, keep } = await send(n.relay.address, ONE_TON, charge(10n, 1000n));
        let d = await n.client.getData();
        expect(d.tokensUsed).toBe(1000n);
        expect(d.balance).toBe(3n * ONE_TON - 1000n * 1_000_000n);
        expectActions(tx, [
            { reserve: keep },
            { mode: 1, bounce: true, to: n.proxy.address, value: 1n, body: report(10n, await stateCell(), null) },
            { mode: 128, bounce: false, to: n.relay.address, value: 0n, body: excessesBody(10n) },
        ]);
        await expectFails(n.relay.address, ONE_TON, charge(11n, 1000n), Err.oldMessage);
        await expectFails(n.relay.address, ONE_TON, charge(11n, 999n), Err.oldMessage);
        await expectFails(n.relay.address, ONE_TON, charge(11n, 2000n, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, ONE_TON, charge(11n, 2000n, proxyKey.secretKey, n.proxy.address), Err.expectedMyAddress);
        await expectFails(n.relay.address, COMMISSION - 1n, charge(11n, 2000n), Err.lowMsgValue);
        // The balance saturates at zero.
        await send(n.relay.address, ONE_TON, charge(12n, 1_000_000n));
        d = await n.client.getData();
        expect(d).toMatchObject({ tokensUsed: 1_000_000n, balance: 0n });
    });

    it.each([
        ['the payload op differs', (q: bigint) => ClientMsg.signedPayload(true, q, 5n, Address.parse('0:' + '00'.repeat(32))), Err.signedMsgFormatMismatch],
        ['the payload query id differs', (q: bigint) => ClientMsg.signedPayload(false, q + 1n, 5n, Address.parse('0:' + '00'.repeat(32))), Err.signedMsgFormatMismatch],
        ['the payload has trailing bits', (q: bigint) => beginCell().storeSlice(ClientMsg.signedPayload(false, q, 5n, Address.parse('0:' + '00'.repeat(32))).beginParse()).storeUint(1, 1).endCell(), Err.cellUnderflow],
    ])('rejects a charge where %s', async (_, make, code) => {
        const payload = make(3n);
        const body = signedEnvelope(Op.clientChargeSigned, 3n, n.relay.address, payload, signCell(payload, proxyKey.secretKey));
        await expectFails(n.relay.address, ONE_TON, body, code);
    });

    it('rejects an envelope with trailing data with exit 9', async () => {
        const body = ClientMsg.charge(1n, 5n, n.client.address, n.relay.address, proxyKey.secretKey);
        await expectFails(n.relay.address, ONE_TON, beginCell().storeSlice(body.beginParse()).storeUint(0, 8).endCell(), Err.cellUnderflow);
    });

    it('grant refund charges, closes and pays the whole balance through the proxy', async () => {
        await topUp(3n * ONE_TON);
        await send(n.relay.address, ONE_TON, ClientMsg.charge(1n, 100n, n.client.address, n.relay.address, proxyKey.secretKey));
        await expectFails(n.relay.address, ONE_TON, ClientMsg.grantRefund(2n, 99n, n.client.address, n.relay.address, proxyKey.secretKey), Err.oldMessage);
        await expectFails(n.relay.address, ONE_TON, ClientMsg.grantRefund(2n, 200n, n.client.address, n.relay.address, otherKey.secretKey), Err.badSignature);
        await expectFails(n.relay.address, ONE_TON, ClientMsg.grantRefund(2n, 200n, n.proxy.address, n.relay.address, proxyKey.secretKey), Err.expectedMyAddress);
        const relayBefore = (await n.chain.getContract(n.relay.address)).balance;
        const { tx, txs } = await send(n.relay.address, ONE_TON, ClientMsg.grantRefund(2n, 200n, n.client.address, n.relay.address, proxyKey.secretKey));
        const refund = 3n * ONE_TON - 200n * 1_000_000n;
        const d = await n.client.getData();
        expect(d).toMatchObject({ state: State.closed, balance: 0n, tokensUsed: 200n, unlockTs: 0 });
        expectActions(tx, [
            { reserve: STORAGE_FLOOR },
            { mode: 128, bounce: true, to: n.proxy.address, value: 0n, body: report(2n, await stateCell(), ClientMsg.coinsPayload(Op.clientProxyRefundGranted, refund, n.relay.address)) },
        ]);
        expect(txs).toHaveTransaction({ from: n.proxy.address, to: n.clientOwner.address, op: Op.payout, value: refund });
        // The relay chose where the client contract's own TON goes.
        expect((await n.chain.getContract(n.relay.address)).balance).toBeGreaterThan(relayBefore);
        // Closed with zero balance: nothing more can be granted.
        await expectFails(n.relay.address, ONE_TON, ClientMsg.grantRefund(3n, 300n, n.client.address, n.relay.address, proxyKey.secretKey), Err.closed);
    });

    it('grant refund with an unchanged counter is accepted', async () => {
        await topUp(ONE_TON);
        const { tx } = await send(n.relay.address, ONE_TON, ClientMsg.grantRefund(2n, 0n, n.client.address, n.relay.address, proxyKey.secretKey));
        expect(tx).toHaveTransaction({ success: true });
        expect((await n.client.getData()).state).toBe(State.closed);
    });

    it('refuses every op once closed with 1006', async () => {
        await topUp(ONE_TON);
        await send(n.relay.address, ONE_TON, ClientMsg.grantRefund(2n, 0n, n.client.address, n.relay.address, proxyKey.secretKey));
        const o = n.clientOwner.address;
        for (const body of [
            ClientMsg.topUp(1n, ONE_TON, o),
            ClientMsg.changeSecretHashAndTopUp(1n, ONE_TON, 1n, o),
            ClientMsg.register(1n, 1n, o),
            ClientMsg.changeSecretHash(1n, 1n, o),
            ClientMsg.increaseStake(1n, 5n * ONE_TON, o),
            ClientMsg.withdraw(1n, o),
            ClientMsg.requestRefund(1n, o),
            ClientMsg.charge(1n, 10n, n.client.address, o, proxyKey.secretKey),
            ClientMsg.grantRefund(1n, 10n, n.client.address, o, proxyKey.secretKey),
        ]) {
            await expectFails(o, 3n * ONE_TON, body, Err.closed);
        }
    });

    // FunC checks in a fixed order; a message with several faults gets the first code.
    it.each([
        ['closed before low value (top-up)', 'closed', (n: Network) => ClientMsg.topUp(1n, ONE_TON, n.relay.address), 'stranger', ONE_TON / 100n, Err.closed],
        ['low value before low balance (top-up)', 'poor', (n: Network) => ClientMsg.topUp(1n, ONE_TON, n.relay.address), 'stranger', ONE_TON, Err.lowMsgValue],
        ['low balance before the owner check', 'poor', (n: Network) => ClientMsg.changeSecretHashAndTopUp(1n, ONE_TON, 1n, n.relay.address), 'stranger', ONE_TON + COMMISSION, Err.lowSmcBalance],
        ['low value before the owner check (withdraw)', 'normal', (n: Network) => ClientMsg.withdraw(1n, n.relay.address), 'stranger', ONE_TON / 100n, Err.lowMsgValue],
        ['closed before the owner check (withdraw)', 'closing', (n: Network) => ClientMsg.withdraw(1n, n.relay.address), 'stranger', ONE_TON, Err.closed],
        ['signature before closed (charge)', 'closed', (n: Network) => ClientMsg.charge(1n, 5n, n.client.address, n.relay.address, otherKey.secretKey), 'stranger', ONE_TON / 100n, Err.badSignature],
        ['closed before low value (charge)', 'closed', (n: Network) => ClientMsg.charge(1n, 5n, n.client.address, n.relay.address, proxyKey.secretKey), 'stranger', ONE_TON / 100n, Err.closed],
        ['low value before an old counter (charge)', 'normal', (n: Network) => ClientMsg.charge(1n, 0n, n.proxy.address, n.relay.address, proxyKey.secretKey), 'stranger', ONE_TON / 100n, Err.lowMsgValue],
        ['an old counter before the address (charge)', 'normal', (n: Network) => ClientMsg.charge(1n, 0n, n.proxy.address, n.relay.address, proxyKey.secretKey), 'stranger', ONE_TON, Err.oldMessage],
        ['format before signature', 'normal', (n: Network) => beginCell().storeSlice(ClientMsg.charge(1n, 5n, n.client.address, n.relay.address, otherKey.secretKey).beginParse()).storeBit(1).endCell(), 'stranger', ONE_TON, Err.cellUnderflow],
    ] as const)('reports %s', async (_, setup, make, fromName, value, code) => {
        if (setup === 'poor') {
            n = await newNetwork({ clientFunds: ONE_TON / 20n });
        } else if (setup === 'closed') {
            await send(n.relay.address, ONE_TON, ClientMsg.grantRefund(1n, 0n, n.client.address, n.relay.address, proxyKey.secretKey));
        } else if (setup === 'closing') {
            await send(n.clientOwner.address, ONE_TON, ClientMsg.requestRefund(1n, n.relay.address));
        }
        const from = fromName === 'stranger' ? n.stranger.address : n.clientOwner.address;
        await expectFails(from, value, make(n), code);
    });

    it('ignores an empty body, do_not_process and bounced messages', async () => {
        for (const [body, bounced] of [
            [Cell.EMPTY, false],
            [beginCell().storeUint(Op.doNotProcess, 32).storeUint(1, 64).endCell(), false],
            [beginCell().storeUint(0xffffffff, 32).storeUint(Op.clientProxyRequest, 32).endCell(), true],
        ] as [Cell, boolean][]) {
            const r = await n.chain.sendMessage(internal({ from: n.stranger.address, to: n.client.address, value: ONE_TON, body, bounced }));
            expect(r.transactions).toHaveTransaction({ to: n.client.address, success: true, outMessagesCount: 0 });
        }
        expect((await n.client.getData()).balance).toBe(0n);
    });

    it.each([
        ['an unknown op', 0x12345678],
        ['owner_client_top_up_reopen (declared, unhandled)', Op.ownerClientTopUpReopen],
    ])('rejects %s with 1012', async (_, op) => {
        await expectFails(n.clientOwner.address, ONE_TON, beginCell().storeUint(op, 32).storeUint(1, 64).endCell(), Err.unknownOp);
    });

    it('refuses params of another struct version with 1008 where it needs them', async () => {
        const params = proxyParams(defaultParams());
        const config: ClientConfig = { ...initialClientConfig(n.clientOwner.address, n.proxy.address, pubkeyInt(proxyKey), params), params: { ...defaultParams(), structVersion: 2 } };
        const client = n.chain.openContract(CocoonClient.createFromConfig(config, codes.client));
        await client.sendDeploy(n.clientOwner.getSender(), ONE_TON);
        let r = await client.sendBody(n.relay.getSender(), ONE_TON, ClientMsg.charge(1n, 5n, client.address, n.relay.address, proxyKey.secretKey));
        expect(r.transactions).toHaveTransaction({ to: client.address, exitCode: Err.storedDataDamaged });
        r = await client.sendBody(n.clientOwner.getSender(), ONE_TON, ClientMsg.requestRefund(1n, n.relay.address));
        expect(r.transactions).toHaveTransaction({ to: client.address, exitCode: Err.storedDataDamaged });
        // Top-ups do not read params.
        r = await client.sendBody(n.relay.getSender(), 2n * ONE_TON, ClientMsg.topUp(1n, ONE_TON, n.relay.address));
        expect(r.transactions).toHaveTransaction({ to: client.address, success: true });
    });
});
