// objstore_interop.mjs - the other side of objstore_interop.sh: nats.js's
// own object store (NATS ADR-20) reads what Mantle wrote and writes what
// Mantle then reads.
// SPDX-License-Identifier: Apache-2.0
//
// usage: node objstore_interop.mjs URL get NAME OUT | put NAME IN
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { connect } from "nats";

const [url, cmd, name, file] = process.argv.slice(2);
const nc = await connect({ servers: url });
try {
    const os = await nc.jetstream().views.os("mantle-modules");
    if (cmd === "get") {
        const info = await os.info(name);
        if (info === null) throw new Error(`${name}: no such object`);
        const r = await os.get(name); // nats.js checks the digest itself
        const chunks = [];
        for await (const c of r.data) chunks.push(c);
        const err = await r.error;
        if (err) throw err;
        const bytes = Buffer.concat(chunks);
        writeFileSync(file, bytes);
        const hex = createHash("sha256").update(bytes).digest("hex");
        console.log(`get ${name}: ${bytes.length} bytes in ${info.chunks} chunk(s), ` +
            `meta digest ${info.digest}, sha256 ${hex}`);
    } else if (cmd === "put") {
        const bytes = readFileSync(file);
        const info = await os.putBlob({ name }, bytes);
        console.log(`put ${name}: ${info.size} bytes, digest ${info.digest}`);
    } else {
        throw new Error(`unknown command ${cmd}`);
    }
} finally {
    await nc.close();
}
