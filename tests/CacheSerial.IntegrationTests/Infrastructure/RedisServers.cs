using System.Diagnostics;
using Testcontainers.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>A Redis-protocol server the fixture uses; disposing it stops what the fixture started (nothing for a configured one).</summary>
internal interface IRedisServer : IAsyncDisposable
{
    RedisServerKind Kind { get; }

    string Host { get; }

    int Port { get; }

    /// <summary>How it was found or started, for the output line.</summary>
    string Origin { get; }
}

/// <summary>(a) A server someone else runs, named by CACHESERIAL_REDIS; never stopped by the tests.</summary>
internal sealed class ConfiguredRedisServer(string host, int port) : IRedisServer
{
    public RedisServerKind Kind => RedisServerKind.Configured;

    public string Host { get; } = host;

    public int Port { get; } = port;

    public string Origin => "named by CACHESERIAL_REDIS";

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>(b) A Redis container started through Testcontainers.</summary>
internal sealed class ContainerRedisServer : IRedisServer
{
    private const string Image = "redis:7.4";

    private readonly RedisContainer _container;

    private ContainerRedisServer(RedisContainer container, string host, int port)
    {
        _container = container;
        Host = host;
        Port = port;
    }

    public RedisServerKind Kind => RedisServerKind.Container;

    public string Host { get; }

    public int Port { get; }

    public string Origin => $"Testcontainers container {Image}";

    public static async Task<ContainerRedisServer> StartAsync(CancellationToken cancellationToken)
    {
        var container = new RedisBuilder(Image).Build();
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
            var host = container.Hostname;
            if (!LoopbackProbe.IsLoopback(host))
            {
                throw new InvalidOperationException($"the container's Redis is published on '{host}', not on a loopback address");
            }

            return new ContainerRedisServer(container, host, container.GetMappedPublicPort(6379));
        }
        catch
        {
            await container.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}

/// <summary>
/// (c) <c>redis-server</c> from PATH as a child process on a free loopback port, with persistence off. Stopped on dispose
/// by killing the <see cref="Process"/> this class started (its own pid, nothing else).
/// </summary>
internal sealed class ChildProcessRedisServer : IRedisServer
{
    private readonly Process _process;
    private readonly string _directory;

    private ChildProcessRedisServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit; // a test host that ends without disposing still stops it
    }

    public RedisServerKind Kind => RedisServerKind.ChildProcess;

    public string Host => "127.0.0.1";

    public int Port { get; }

    public string Origin => $"child process (pid {_process.Id})";

    public static async Task<ChildProcessRedisServer> StartAsync(string executable, CancellationToken cancellationToken)
    {
        var (process, port, directory) = await StartOnFreePortAsync(
            executable, "cacheserial-redis-", LoopbackProbe.FreePort, (_, _) => ([], null), cancellationToken).ConfigureAwait(false);
        return new ChildProcessRedisServer(process, directory, port);
    }

    /// <summary>
    /// Starts <c>redis-server</c> (<see cref="Launch"/>) in a new temporary directory on a port from
    /// <paramref name="freePort"/> and waits until it answers PING; three attempts, as the free port may be taken by someone
    /// else between the probe and redis-server's bind. <paramref name="prepare"/> gets the port and directory and returns the
    /// extra arguments and the config file it wrote there, if any. The caller stops the process and deletes the directory.
    /// </summary>
    internal static async Task<(Process Process, int Port, string Directory)> StartOnFreePortAsync(
        string executable,
        string directoryPrefix,
        Func<int> freePort,
        Func<int, string, (IReadOnlyList<string> Arguments, string? ConfigFile)> prepare,
        CancellationToken cancellationToken)
    {
        const int attempts = 3;
        var failures = new List<string>();
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var port = freePort();
            var directory = Directory.CreateTempSubdirectory(directoryPrefix).FullName;
            var output = new BoundedLog();
            var (arguments, configFile) = prepare(port, directory);
            var process = Launch(executable, port, directory, arguments, output, configFile);
            try
            {
                if (await WaitUntilAnswersAsync(process, port, TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false))
                {
                    return (process, port, directory);
                }
            }
            catch
            {
                Stop(process);
                TryDelete(directory);
                throw;
            }

            failures.Add($"attempt {attempt} on port {port}: " + (process.HasExited
                ? $"redis-server exited with code {process.ExitCode}"
                : "no PING answer within 20 s") + $"; its output: {output}");
            Stop(process);
            TryDelete(directory);
        }

        throw new InvalidOperationException($"redis-server ({executable}) did not start: " + string.Join(" | ", failures));
    }

    /// <summary>
    /// Starts <c>redis-server</c> on 127.0.0.1:<paramref name="port"/> with persistence off, its files in
    /// <paramref name="directory"/>, then <paramref name="extraArguments"/> (later options override earlier ones).
    /// <paramref name="configFile"/>, when given, comes first, as redis-server requires (Sentinel needs one to write to).
    /// </summary>
    internal static Process Launch(string executable, int port, string directory, IEnumerable<string> extraArguments, BoundedLog output, string? configFile = null)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = directory,
        };
        if (configFile is not null)
        {
            info.ArgumentList.Add(configFile);
        }

        foreach (var argument in new[]
                 {
                     "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1",
                     "--save", string.Empty,
                     "--appendonly", "no",
                     "--daemonize", "no",
                     "--protected-mode", "yes",
                     "--dir", directory,
                 }.Concat(extraArguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>True once the child answers PING on <paramref name="port"/>; false when it exits or <paramref name="limit"/> passes.</summary>
    internal static async Task<bool> WaitUntilAnswersAsync(Process process, int port, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit && !process.HasExited)
        {
            if (await LoopbackProbe.PingAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    public ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Stop(_process);
        TryDelete(_directory);
        return ValueTask.CompletedTask;
    }

    private void OnProcessExit(object? sender, EventArgs e) => Stop(_process);

    /// <summary>Kills the child (SIGKILL on Unix), waits for its exit and disposes the <see cref="Process"/>.</summary>
    internal static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>(d) An in-process Garnet server on a free loopback port: the fallback that needs nothing installed.</summary>
internal sealed class GarnetRedisServer : IRedisServer
{
    private readonly Garnet.GarnetServer _server;

    private GarnetRedisServer(Garnet.GarnetServer server, int port)
    {
        _server = server;
        Port = port;
    }

    public RedisServerKind Kind => RedisServerKind.Garnet;

    public string Host => "127.0.0.1";

    public int Port { get; }

    public string Origin => "in-process server (Microsoft.Garnet)";

    public static async Task<GarnetRedisServer> StartAsync(CancellationToken cancellationToken)
    {
        const int attempts = 3; // the free port may be taken by someone else between the probe and Garnet's bind
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackProbe.FreePort();
            Garnet.GarnetServer? server = null;
            try
            {
                server = new Garnet.GarnetServer(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "-q"]);
                server.Start();
                var deadline = Stopwatch.StartNew();
                while (!await LoopbackProbe.PingAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                    {
                        throw new InvalidOperationException($"the in-process Garnet server on 127.0.0.1:{port} does not answer PING");
                    }

                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }

                return new GarnetRedisServer(server, port);
            }
            catch (Exception) when (attempt < attempts && !cancellationToken.IsCancellationRequested)
            {
                server?.Dispose();
            }
            catch
            {
                server?.Dispose();
                throw;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}
