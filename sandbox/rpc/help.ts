/** help.* methods: the config gramjs asks for on every connect (inside initConnection), and the nearest DC. */
import { Api } from 'telegram';
import { type MethodHandler, publicMethod } from './context.js';

/** help.getConfig: one DC (the sandbox itself) and Telegram's usual limits. */
const getConfig = publicMethod(Api.help.GetConfig, (_req, ctx) => {
  const now = Math.floor(Date.now() / 1000);
  return new Api.Config({
    date: now,
    expires: now + 3600,
    testMode: false,
    thisDc: ctx.address.dcId,
    dcOptions: [
      new Api.DcOption({
        id: ctx.address.dcId,
        ipAddress: ctx.address.host,
        port: ctx.address.port,
        thisPortOnly: true,
      }),
    ],
    dcTxtDomainName: 'sandbox.invalid',
    chatSizeMax: 200,
    megagroupSizeMax: 200_000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210_000,
    offlineBlurTimeoutMs: 5_000,
    offlineIdleTimeoutMs: 30_000,
    onlineCloudTimeoutMs: 300_000,
    notifyCloudDelayMs: 30_000,
    notifyDefaultDelayMs: 1_500,
    pushChatPeriodMs: 60_000,
    pushChatLimit: 2,
    editTimeLimit: 172_800,
    revokeTimeLimit: 2_147_483_647,
    revokePmTimeLimit: 2_147_483_647,
    ratingEDecay: 2_419_200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604_800,
    callReceiveTimeoutMs: 20_000,
    callRingTimeoutMs: 90_000,
    callConnectTimeoutMs: 30_000,
    callPacketTimeoutMs: 10_000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: ctx.address.dcId,
  });
});

/** help.getNearestDc: always the sandbox's DC. */
const getNearestDc = publicMethod(
  Api.help.GetNearestDc,
  (_req, ctx) => new Api.NearestDc({ country: 'US', thisDc: ctx.address.dcId, nearestDc: ctx.address.dcId }),
);

/** Handlers of the help namespace. */
export const helpMethods: MethodHandler[] = [getConfig, getNearestDc];
