// Tests that depend on something optional — a WebAssembly kernel they compare with the
// TypeScript loops, reference data in ../shared, a real server or browser — skip and say why when it is missing, except
// in CI (.ci/run sets the variables below), where a missing dependency must fail the suite
// instead of turning it green.

function requirement(variable: string, what: string) {
  /**
   * A test's `skip` value: false when `present`, else the `missing` reason; with `variable`=1 a
   * missing dependency throws instead (failing the test, or the file when evaluated at load).
   */
  return (present: boolean, missing: string): string | false => {
    if (present) return false;
    if (process.env[variable] === '1') throw new Error(`${missing}, and ${variable}=1 requires ${what}`);
    return missing;
  };
}

/** For tests comparing a WebAssembly kernel with the TypeScript loops. */
export const skipUnlessWasm = requirement('SPIKELINE_REQUIRE_WASM', 'every WebAssembly kernel to load');

/** For golden tests reading reference data from ../shared. */
export const skipUnlessShared = requirement('SPIKELINE_REQUIRE_SHARED', 'the reference data in ../shared');

/** For tests against real services and tools: nats-server, Chromium, Prometheus, PostgreSQL. */
export const skipUnlessInstalled = requirement('SPIKELINE_REQUIRE_SERVICES', 'the Debian packages .ci/run installs');
