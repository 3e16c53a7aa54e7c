import { Address, beginCell, Cell, external } from '@ton/core';
import { Blockchain, internal, SandboxContract } from '@ton/sandbox';
import '@ton/test-utils';
import { Err, excessesBody, Op, payoutBody } from '../wrappers/common';
import { CocoonWallet, OutMsg, WalletConfig, walletExternalBody, WalletMsg, walletSignedPart } from '../wrappers/Wallet';
import { accountData, codes, expectActions, keyFromSeedByte, messageCell, newChain, NOW, ONE_TON, pubkeyInt, Treasury } from './helpers';

const walletKey = keyFromSeedByte(3);
const wrongKey = keyFromSeedByte(0x99);

describe('CocoonWallet', () => {
    let chain: Blockchain;
    let owner: Treasury;
    let stranger: Treasury;
    let wallet: SandboxContract<CocoonWallet>;

    async function deploy(config: Partial<WalletConfig> = {}, funds = 5n * ONE_TON) {
        wallet = chain.openContract(
            CocoonWallet.createFromConfig({ seqno: 0, subwalletId: 0, publicKey: pubkeyInt(walletKey), status: 0, owner: owner.address, ...config }, codes.wallet),
        );
        await wallet.sendDeploy(owner.getSender(), funds);
    }

    beforeEach(async () => {
        chain = await newChain();
        owner = await chain.treasury('owner');
        stranger = await chain.treasury('stranger');
        await deploy();
    });

    const msgTo = (to: Address, value: bigint, body: Cell, bounce = true) => messageCell(bounce, to, value, body);

    async function sendExternal(o: { subwallet?: number; validUntil?: number; seqno?: number; key?: Buffer; messages?: OutMsg[] }) {
        const signed = walletSignedPart(o.subwallet ?? 0, o.validUntil ?? NOW + 3600, o.seqno ?? (await wallet.getSeqno()), o.messages ?? []);
        const body = walletExternalBody(o.key ?? walletKey.secretKey, signed);
        return chain.sendMessage(external({ to: wallet.address, body }));
    }

    async function expectRejected(o: Parameters<typeof sendExternal>[0], code: number) {
        const before = await accountData(chain, wallet.address);
        let got: number | undefined;
        try {
            await sendExternal(o);
        } catch (e) {
            got = (e as { exitCode?: number }).exitCode;
        }
        expect(got).toBe(code);
        expect((await accountData(chain, wallet.address)).equals(before)).toBe(true);
    }

    it('deploys with its data and answers the getters', async () => {
        expect(await wallet.getSeqno()).toBe(0);
        expect(await wallet.getPublicKey()).toBe(pubkeyInt(walletKey));
        expect((await wallet.getOwnerAddress()).toString()).toBe(owner.address.toString());
        for (const id of [85143, 78748, 114619]) {
            expect((await chain.runGetMethod(wallet.address, id, [])).stack.length).toBe(1);
        }
    });

    it('gets a distinct address per key, subwallet and owner', async () => {
        const base: WalletConfig = { seqno: 0, subwalletId: 0, publicKey: pubkeyInt(walletKey), status: 0, owner: owner.address };
        const addrs = [
            base,
            { ...base, subwalletId: 1 },
            { ...base, publicKey: pubkeyInt(wrongKey) },
            { ...base, owner: stranger.address },
        ].map((c) => CocoonWallet.createFromConfig(c, codes.wallet).address.toString());
        expect(new Set(addrs).size).toBe(4);
    });

    it('sends up to four messages with their modes and bumps the seqno', async () => {
        const messages: OutMsg[] = [
            { mode: 1, message: msgTo(stranger.address, ONE_TON / 10n, beginCell().storeUint(1, 32).endCell()) },
            { mode: 0, message: msgTo(owner.address, ONE_TON / 5n, beginCell().storeUint(2, 32).endCell(), false) },
            { mode: 1, message: msgTo(stranger.address, 1n, beginCell().endCell()) },
            { mode: 2, message: msgTo(owner.address, ONE_TON / 10n, beginCell().storeUint(4, 32).endCell()) },
        ];
        const r = await sendExternal({ messages });
        const tx = r.transactions[0];
        expectActions(
            tx,
            messages.map((m) => {
                const s = (m.message as Cell).beginParse();
                const flags = s.loadUint(6);
                const to = s.loadAddress();
                const value = s.loadCoins();
                s.skip(107);
                return { mode: m.mode, bounce: flags === 0x18, to, value, body: beginCell().storeSlice(s).endCell() };
            }),
        );
        expect(r.transactions).toHaveTransaction({ from: wallet.address, to: owner.address, inMessageBounceable: false });
        expect(await wallet.getSeqno()).toBe(1);
        // An empty list still uses up the seqno.
        await sendExternal({});
        expect(await wallet.getSeqno()).toBe(2);
    });

    it.each([
        ['expired (valid_until == now)', { validUntil: NOW }, Err.walletExpired],
        ['a wrong seqno', { seqno: 5 }, Err.walletSeqno],
        ['a wrong subwallet', { subwallet: 1 }, Err.walletSubwallet],
        ['a bad signature', { key: wrongKey.secretKey }, Err.walletSignature],
    ])('rejects an external with %s', async (_, o, code) => {
        await expectRejected(o, code);
    });

    it('rejects externals while blocked (1031) and below 2 TON (1035)', async () => {
        await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.text('b'));
        await expectRejected({}, Err.walletBlocked);
        await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.text('u'));
        await sendExternal({});
        expect(await wallet.getSeqno()).toBe(1);
        await deploy({ subwalletId: 7 }, ONE_TON);
        await expectRejected({ subwallet: 7 }, Err.walletLowBalance);
    });

    it('checks externals in order: expiry, block, seqno, subwallet, signature, balance', async () => {
        await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.text('b'));
        await expectRejected({ validUntil: NOW - 1, seqno: 3, subwallet: 2, key: wrongKey.secretKey }, Err.walletExpired);
        await expectRejected({ seqno: 3, subwallet: 2, key: wrongKey.secretKey }, Err.walletBlocked);
        await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.text('u'));
        await expectRejected({ seqno: 3, subwallet: 2, key: wrongKey.secretKey }, Err.walletSeqno);
        await expectRejected({ subwallet: 2, key: wrongKey.secretKey }, Err.walletSubwallet);
        await deploy({ subwalletId: 9 }, ONE_TON);
        await expectRejected({ subwallet: 9, key: wrongKey.secretKey }, Err.walletSignature);
    });

    it('forwards a message from the owner, also while blocked', async () => {
        await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.text('b'));
        const message = msgTo(stranger.address, ONE_TON, beginCell().storeUint(0xabcd, 16).endCell());
        const r = await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.ownerSendMessage(1n, 1, message));
        const tx = r.transactions.find((t) => t.inMessage?.info.dest instanceof Address && t.inMessage.info.dest.equals(wallet.address))!;
        expectActions(tx, [{ mode: 1, bounce: true, to: stranger.address, value: ONE_TON, body: beginCell().storeUint(0xabcd, 16).endCell() }]);
        const bad = await wallet.sendBody(stranger.getSender(), ONE_TON / 10n, WalletMsg.ownerSendMessage(1n, 1, message));
        expect(bad.transactions).toHaveTransaction({ to: wallet.address, exitCode: Err.walletNotOwner });
    });

    it('"w" sweeps all but at most 0.01 TON to the owner', async () => {
        const r = await wallet.sendBody(owner.getSender(), ONE_TON / 10n, WalletMsg.text('w'));
        const tx = r.transactions.find((t) => t.inMessage?.info.dest instanceof Address && t.inMessage.info.dest.equals(wallet.address))!;
        expectActions(tx, [
            { reserve: 10_000_000n, mode: 2 },
            { mode: 128, bounce: true, to: owner.address, value: 0n, body: WalletMsg.text('w') },
        ]);
        expect((await chain.getContract(wallet.address)).balance).toBeLessThanOrEqual(10_000_000n);
    });

    it.each([
        ['a text command from a non-owner', 'stranger', WalletMsg.text('w'), Err.walletNotOwner],
        ['an unknown text command', 'owner', WalletMsg.text('x'), Err.walletUnknownOp],
        ['an unknown op', 'owner', beginCell().storeUint(0x1234, 32).endCell(), Err.walletUnknownOp],
        ['a text command with a trailing byte', 'owner', beginCell().storeUint(0, 32).storeUint(0x62, 16).endCell(), Err.cellUnderflow],
    ])('rejects %s', async (_, from, body, code) => {
        const sender = from === 'owner' ? owner : stranger;
        const r = await wallet.sendBody(sender.getSender(), ONE_TON / 10n, body);
        expect(r.transactions).toHaveTransaction({ to: wallet.address, exitCode: code, aborted: true });
    });

    it('accepts excesses, payouts, do_not_process, empty and bounced messages from anyone', async () => {
        for (const [body, bounced] of [
            [excessesBody(1n), false],
            [payoutBody(1n), false],
            [beginCell().storeUint(Op.doNotProcess, 32).endCell(), false],
            [Cell.EMPTY, false],
            [beginCell().storeUint(0xffffffff, 32).endCell(), true],
        ] as [Cell, boolean][]) {
            const r = await chain.sendMessage(internal({ from: stranger.address, to: wallet.address, value: ONE_TON, body, bounced }));
            expect(r.transactions).toHaveTransaction({ to: wallet.address, success: true, outMessagesCount: 0 });
        }
    });
});
