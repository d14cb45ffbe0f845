// Tests read response bodies loosely (assertions check their shape); src code never relies on this.
declare global {
  interface Response {
    json(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
}
export {};
