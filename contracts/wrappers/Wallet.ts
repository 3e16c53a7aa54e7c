// The COCOON wallet: storage codec, externals, owner messages and getters.
import { Address, beginCell, Builder, Cell, Contract, ContractProvider, MessageRelaxed, Sender, SendMode, storeMessageRelaxed } from '@ton/core';
import { sign } from '@ton/crypto';
import { addressOf, Op } from './common';

export type WalletConfig = {
    seqno: number;
    subwalletId: number;
    publicKey: bigint;
    status: number;
    owner: Address;
};

export function walletConfigToCell(c: WalletConfig): Cell {
    return beginCell()
        .storeUint(c.seqno, 32)
        .storeUint(c.subwalletId, 32)
        .storeUint(c.publicKey, 256)
        .storeUint(c.status, 32)
        .storeAddress(c.owner)
        .endCell();
}

export function walletConfigFromCell(cell: Cell): WalletConfig {
    const s = cell.beginParse();
    const c = {
        seqno: s.loadUint(32),
        subwalletId: s.loadUint(32),
        publicKey: s.loadUintBig(256),
        status: s.loadUint(32),
        owner: s.loadAddress(),
    };
    s.endParse();
    return c;
}

export type OutMsg = { mode: number; message: MessageRelaxed | Cell };

function messageCell(m: MessageRelaxed | Cell): Cell {
    return m instanceof Cell ? m : beginCell().store(storeMessageRelaxed(m)).endCell();
}

// The signed part of an external: subwallet_id valid_until seqno, then (mode:uint8 ^message)*.
export function walletSignedPart(subwalletId: number, validUntil: number, seqno: number, messages: OutMsg[]): Cell {
    const b: Builder = beginCell().storeUint(subwalletId, 32).storeUint(validUntil, 32).storeUint(seqno, 32);
    for (const m of messages) {
        b.storeUint(m.mode, 8).storeRef(messageCell(m.message));
    }
    return b.endCell();
}

export function walletExternalBody(secretKey: Buffer, signedPart: Cell): Cell {
    return beginCell().storeBuffer(sign(signedPart.hash(), secretKey)).storeSlice(signedPart.beginParse()).endCell();
}

export const WalletMsg = {
    ownerSendMessage: (queryId: bigint, mode: number, message: MessageRelaxed | Cell) =>
        beginCell().storeUint(Op.ownerWalletSendMessage, 32).storeUint(queryId, 64).storeUint(mode, 8).storeRef(messageCell(message)).endCell(),
    text: (action: string) => beginCell().storeUint(0, 32).storeUint(action.charCodeAt(0), 8).endCell(),
};

export class CocoonWallet implements Contract {
    constructor(
        readonly address: Address,
        readonly init?: { code: Cell; data: Cell },
    ) {}

    static createFromConfig(config: WalletConfig, code: Cell): CocoonWallet {
        const data = walletConfigToCell(config);
        return new CocoonWallet(addressOf(code, data), { code, data });
    }

    async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body: beginCell().endCell() });
    }

    async sendBody(provider: ContractProvider, via: Sender, value: bigint, body: Cell) {
        await provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
    }

    async sendExternal(provider: ContractProvider, body: Cell) {
        await provider.external(body);
    }

    async getSeqno(provider: ContractProvider): Promise<number> {
        return (await provider.get('seqno', [])).stack.readNumber();
    }

    async getPublicKey(provider: ContractProvider): Promise<bigint> {
        return (await provider.get('get_public_key', [])).stack.readBigNumber();
    }

    async getOwnerAddress(provider: ContractProvider): Promise<Address> {
        return (await provider.get('get_owner_address', [])).stack.readAddress();
    }
}
