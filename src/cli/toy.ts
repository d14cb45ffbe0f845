/** Placeholder until the toy experiment CLI lands (issue 7). */
export async function runToyCli(_args: string[]): Promise<number> {
  console.error('the toy experiment CLI is not built yet (issue 7)');
  return 1;
}
