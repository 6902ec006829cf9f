/**
 * What `npm run demo` adds to the start banner: plainly a demo, where its data lives, and the steps of
 * the two-minute tour with the Connect link to start it.
 */
export function demoBannerLines(connectUrl: string, dataDir: string): string[] {
  return [
    '  DEMO MODE (npm run demo, SIGNING_AUTH_DEMO=1): the providers are local stand-ins on 127.0.0.1,',
    '  not DocuSign, Formstack Sign, Signicat or DocSpring; nothing leaves this machine. Made-up',
    `  credentials; the data (${dataDir}) starts empty at every demo start. Never in production.`,
    '',
    '  Tenant "demo" is ready: Formstack Sign, Signicat and DocSpring are connected; DocuSign waits',
    '  for your consent. Open its Connect link (it works for 24 hours, for this tenant only):',
    '',
    `  ${connectUrl}`,
    '',
    '  Then: Connect (DocuSign row) -> Allow on the stand-in\'s page -> back, "active" ->',
    '  Test connection -> Refresh now. DocuSign tokens last 2 minutes here; once the connection',
    '  has been used (the test counts), the sweep renews them by itself. Each refresh-token',
    '  rotation is printed below.',
  ];
}
