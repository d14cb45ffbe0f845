// Placeholder until the database harness lands (issue 2): integration tests get DATABASE_URL from here.
export default async function setup(): Promise<void> {}
