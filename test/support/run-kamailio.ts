/**
 * Runs the test Kamailio until Ctrl-C, for trying the example apps by hand: `npm run examples:kamailio`.
 * WebSocket on ws://127.0.0.1:8080 (the apps' default server; `SIPSTATE_WS_PORT` to change), users in kamailio.cfg.
 */
import { startKamailio } from './kamailio';

const kamailio = await startKamailio({ wsPort: Number(process.env.SIPSTATE_WS_PORT ?? 8080) });
console.log(`Kamailio on ${kamailio.wsUrl}, domain ${kamailio.domain}`);
for (const [user, password] of Object.entries(kamailio.users))
  console.log(`  sip:${user}@${kamailio.domain}  password ${password}`);
console.log('Ctrl-C stops it.');
const stop = (): void => void kamailio.stop().finally(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
