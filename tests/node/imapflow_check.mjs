// What the imaplib test does, done by imapflow: login over TLS, LIST, SELECT,
// FETCH, STORE, COPY, MOVE, APPEND, EXPUNGE, then IDLE until a message the
// test delivers over SMTP shows up. Each step prints one JSON line; the test
// (tests/e2e/test_imapflow.py) checks them against the Maildir.
import fs from 'node:fs';
import readline from 'node:readline';
import { ImapFlow } from 'imapflow';

const [host, port, user, pass, ca] = process.argv.slice(2);
const t0 = Date.now();
const say = (step, data) => console.log(JSON.stringify({ step, ms: Date.now() - t0, ...data }));

const client = new ImapFlow({
    host, port: Number(port), secure: true,
    auth: { user, pass },
    tls: { ca: [fs.readFileSync(ca)] },
    logger: false,
});

await client.connect();
say('login', { capabilities: [...client.capabilities.keys()] });

const list = await client.list();
say('list', { folders: list.map((f) => ({ path: f.path, specialUse: f.specialUse || null })) });

let lock = await client.getMailboxLock('INBOX');
try {
    say('select', { exists: client.mailbox.exists, uidValidity: String(client.mailbox.uidValidity) });
    const messages = [];
    for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true, source: true })) {
        messages.push({ uid: m.uid, subject: m.envelope.subject, flags: [...m.flags],
                        size: m.source.length, source: m.source.toString('latin1') });
    }
    say('fetch', { messages });

    const first = messages[0].uid, second = messages[1].uid, third = messages[2].uid;
    await client.messageFlagsAdd(String(first), ['\\Seen', '\\Flagged'], { uid: true });
    const flagged = await client.fetchOne(String(first), { flags: true }, { uid: true });
    say('store', { uid: first, flags: [...flagged.flags] });

    const copied = await client.messageCopy(String(second), 'Archive', { uid: true });
    say('copy', { uidMap: [...copied.uidMap.entries()] });
    const moved = await client.messageMove(String(third), 'Trash', { uid: true });
    say('move', { uidMap: [...moved.uidMap.entries()] });

    const appended = await client.append('Drafts', 'From: <alice@example.org>\r\n' +
        'To: <bob@example.org>\r\nSubject: a draft from imapflow\r\n\r\nnot sent yet\r\n',
        ['\\Draft']);
    say('append', { uid: appended.uid, uidValidity: String(appended.uidValidity) });

    await client.messageDelete(String(second), { uid: true });
    say('expunge', { exists: client.mailbox.exists });
} finally {
    lock.release();
}

// IDLE on INBOX until the test's delivery is announced (the test waits for
// this line, then sends the message over SMTP).
lock = await client.getMailboxLock('INBOX');
const before = client.mailbox.exists;
const announced = new Promise((resolve) => {
    client.on('exists', (info) => { if (info.count > before) resolve(info.count); });
});
lock.release();
// imapflow would enter IDLE by itself only after 15 s without commands.
const idling = client.idle();
say('idle', { exists: before });
const timer = setTimeout(() => { say('timeout', {}); process.exit(2); }, 20000);
const count = await announced;
clearTimeout(timer);
lock = await client.getMailboxLock('INBOX');
try {
    const m = await client.fetchOne(String(count), { envelope: true });
    say('exists', { count, subject: m.envelope.subject });
    await idling;   // ended by the FETCH
} finally {
    lock.release();
}
await client.logout();
say('logout', {});
