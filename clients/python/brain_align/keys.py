"""API keys: created by the service's own CLI, which writes them (hashed) straight into its database."""
import os
import subprocess


def create_key(name, project_dir=None, env=None, npm="npm", timeout=120):
    """Create an API key named `name` and return it (shown once; only its sha256 is stored).

    Runs `npm run -s cli -- keys create <name> --quiet` in the brain-align checkout `project_dir` (default:
    BRAIN_ALIGN_DIR, else the current folder), with this process's environment (plus `env`): DATABASE_URL, or
    ALIGN_DATA_DIR for the embedded database, must name the database the service uses. Needs Node and the
    checkout's node_modules; on another machine, ask whoever runs the service for a key.
    """
    cwd = project_dir or os.environ.get("BRAIN_ALIGN_DIR") or os.getcwd()
    run_env = dict(os.environ, LOG_LEVEL="silent", **(env or {}))
    done = subprocess.run(
        [npm, "run", "-s", "cli", "--", "keys", "create", name, "--quiet"],
        cwd=cwd, env=run_env, capture_output=True, text=True, timeout=timeout,
    )
    key = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not key.startswith("ak_"):
        raise RuntimeError("keys create failed (exit %d): %s" % (done.returncode, done.stderr.strip()[-500:]))
    return key
