using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CacheSerial.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// A <c>redis-server</c> child process of its own (not the shared fixture's) on a free 127.0.0.1 port, persistence off,
/// for tests that break the server: kill, restart on the same port, pause (SIGSTOP), reconfigure. Signals go only to the
/// pid this instance started. Without redis-server on PATH, <see cref="StartAsync"/> skips the test, or fails it when
/// CACHESERIAL_REQUIRE_REDIS is set.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(20);

    private readonly string _executable;
    private readonly string[] _extraArguments;
    private readonly string _directory;
    private readonly BoundedLog _output = new();
    private readonly Lock _gate = new();
    private Process? _process;
    private bool _paused;

    private RedisProcess(string executable, string[] extraArguments, string directory, int port)
    {
        _executable = executable;
        _extraArguments = extraArguments;
        _directory = directory;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit; // a test host that ends without disposing still stops it
    }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The port, the same for the life of this instance (restarts included).</summary>
    public int Port { get; }

    /// <summary>host:port.</summary>
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The pid of the running server, or null after <see cref="KillAsync"/>.</summary>
    public int? Pid
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false } process ? process.Id : null;
            }
        }
    }

    /// <summary>The last lines redis-server printed (for assertion messages).</summary>
    public string Output => _output.ToString();

    /// <summary>
    /// The redis-server executable on PATH (or /usr/bin/redis-server). When there is none: fails the current test if
    /// CACHESERIAL_REQUIRE_REDIS is set, else skips it with the reason; <paramref name="tests"/> names the tests that need it.
    /// </summary>
    public static string RequireExecutable(string tests = "fault tests that need their own Redis process")
    {
        var executable = LoopbackProbe.FindOnPath("redis-server")
            ?? (File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null);
        if (executable is not null)
        {
            return executable;
        }

        const string Missing = "redis-server is not on PATH (nor at /usr/bin/redis-server); install it (apt-get install redis-server)";
        if (RedisFixture.RedisRequired)
        {
            Assert.Fail($"{Missing}. {RedisFixture.RequireRedisVariable} is set, so {tests} fail.");
        }

        Assert.Skip($"{Missing} to run the {tests}.");
        return string.Empty; // not reached: Assert.Skip throws
    }

    /// <summary>
    /// Starts redis-server on a free loopback port with <paramref name="extraArguments"/> after the defaults (for example
    /// <c>--maxmemory 2mb --maxmemory-policy noeviction</c>, or <c>--replicaof 127.0.0.1 &lt;port&gt;</c>), and returns
    /// once it answers PING.
    /// </summary>
    public static async Task<RedisProcess> StartAsync(IEnumerable<string>? extraArguments = null, CancellationToken cancellationToken = default)
    {
        var executable = RequireExecutable();
        var arguments = extraArguments?.ToArray() ?? [];
        const int attempts = 3; // the free port may be taken by someone else between the probe and redis-server's bind
        var failures = new List<string>();
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("cacheserial-faults-redis-").FullName;
            var redis = new RedisProcess(executable, arguments, directory, LoopbackProbe.FreePort());
            try
            {
                if (await redis.LaunchAsync(cancellationToken).ConfigureAwait(false))
                {
                    return redis;
                }

                failures.Add($"attempt {attempt} on port {redis.Port}: {redis.Output}");
            }
            catch
            {
                await redis.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            await redis.DisposeAsync().ConfigureAwait(false);
        }

        throw new InvalidOperationException($"redis-server ({executable}) did not start: " + string.Join(" | ", failures));
    }

    /// <summary>Kills the server with SIGKILL (no shutdown, no goodbye to clients) and waits for it to exit.</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
            _paused = false;
        }

        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false); // SIGKILL on Unix, also ends a stopped (paused) process
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>
    /// Kills the server if it runs, then starts it again on the same <see cref="Port"/> with the same arguments (an empty
    /// data set: persistence is off), retrying while the port is still busy. Returns once it answers PING.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await KillAsync(cancellationToken).ConfigureAwait(false);
        var retryFor = Stopwatch.StartNew();
        while (!await LaunchAsync(cancellationToken).ConfigureAwait(false))
        {
            // redis-server sets SO_REUSEADDR, so TIME_WAIT does not block it, but another socket on the port does.
            if (retryFor.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"redis-server did not start again on {Endpoint}: {Output}");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server with SIGSTOP: connections stay open, commands get no reply until <see cref="Resume"/>.</summary>
    public void Pause() => Signal(pause: true);

    /// <summary>Continues a paused server with SIGCONT; pending commands are answered.</summary>
    public void Resume() => Signal(pause: false);

    /// <summary>
    /// Runs one command on a new plain connection to this server (see <see cref="RespConnection"/>), e.g.
    /// <c>CLIENT PAUSE 2000 ALL</c>, <c>CONFIG SET maxmemory 1mb</c>, <c>SET key value</c>. Error replies throw
    /// <see cref="RedisServerException"/>. Bounded by the test's cancellation token.
    /// </summary>
    public Task<RedisResult> ExecuteAsync(params string[] arguments) => ExecuteAsync(arguments, TestContext.Current.CancellationToken);

    /// <summary>As <see cref="ExecuteAsync(string[])"/>, with an explicit token.</summary>
    public async Task<RedisResult> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        await using var connection = await RespConnection.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the server (its own pid only) and deletes its temporary directory.</summary>
    public ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
        }

        if (process is not null)
        {
            ChildProcessRedisServer.Stop(process);
        }

        ChildProcessRedisServer.TryDelete(_directory);
        return ValueTask.CompletedTask;
    }

    private async Task<bool> LaunchAsync(CancellationToken cancellationToken)
    {
        var process = ChildProcessRedisServer.Launch(_executable, Port, _directory, _extraArguments, _output);
        lock (_gate)
        {
            _process = process;
        }

        if (await ChildProcessRedisServer.WaitUntilAnswersAsync(process, Port, StartLimit, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        lock (_gate)
        {
            _process = null;
        }

        ChildProcessRedisServer.Stop(process);
        return false;
    }

    private void Signal(bool pause)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Pause/Resume send SIGSTOP/SIGCONT: Unix only.");
        }

        lock (_gate)
        {
            // Only the pid of the process this instance started, and only while it has not exited (no reused pid).
            if (_process is not { HasExited: false } process)
            {
                throw new InvalidOperationException($"redis-server on {Endpoint} is not running.");
            }

            if (_paused == pause)
            {
                return;
            }

            var signal = pause ? Native.SigStop : Native.SigCont;
            if (Native.Kill(process.Id, signal) != 0)
            {
                throw new InvalidOperationException(
                    $"kill({process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture)}.");
            }

            _paused = pause;
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is not null)
        {
            ChildProcessRedisServer.Stop(process);
        }
    }

    private static class Native
    {
        // Signal numbers differ between Linux and macOS (the only Unix systems the tests run on).
        public static int SigStop => OperatingSystem.IsMacOS() ? 17 : 19;

        public static int SigCont => OperatingSystem.IsMacOS() ? 19 : 18;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
