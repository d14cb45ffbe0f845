/** Placeholder until the end-to-end demo lands (issue 6). */
export async function runDemo(_args: string[]): Promise<number> {
  console.error('the demo is not built yet (issue 6); run `npm start` for the service');
  return 1;
}
