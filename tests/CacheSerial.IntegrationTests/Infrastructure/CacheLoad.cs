using System.Diagnostics;
using CacheSerial.TestSupport;
using Microsoft.Extensions.Logging.Testing;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// Bounded load for the topology tests (failover, resharding): readers call GetOrCreateAsync over keys whose value is a
/// function of the key (<see cref="Expected"/>), so a wrong value is detectable; misses (factory runs) are counted, those
/// of <c>watched</c> keys separately. Further loops (<see cref="StartLoop"/>) share the exception count. Every call's
/// outcome counts: the calls themselves are never cancelled, only the loops stop. Waits are bounded by <see cref="Limit"/>.
/// </summary>
internal sealed class CacheLoad : IAsyncDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _calls;
    private long _misses;
    private long _watchedMisses;
    private long _exceptions;
    private long _wrong;
    private Exception? _firstException;

    /// <param name="cache">The cache under load.</param>
    /// <param name="keys">The keys the readers cycle through (reader r starts at r * 37).</param>
    /// <param name="watched">Keys whose misses are also counted in <see cref="WatchedMisses"/>.</param>
    /// <param name="readers">How many readers.</param>
    /// <param name="options">The entry options of every call.</param>
    public CacheLoad(ITypedCache cache, IReadOnlyList<string> keys, IReadOnlySet<string> watched, int readers, CacheEntryOptions options)
    {
        for (var r = 0; r < readers; r++)
        {
            var i = r * 37;
            StartLoop(async () =>
            {
                var key = keys[i++ % keys.Count];
                Interlocked.Increment(ref _calls);
                var value = await cache.GetOrCreateAsync(key, _ =>
                {
                    Interlocked.Increment(ref _misses);
                    if (watched.Contains(key))
                    {
                        Interlocked.Increment(ref _watchedMisses);
                    }

                    return ValueTask.FromResult(Expected(key));
                }, options, CancellationToken.None);
                if (value != Expected(key))
                {
                    CountWrong();
                }
            });
        }
    }

    /// <summary>
    /// The cache options of the topology tests: a 1 s store deadline, so callers do not wait long for a dead or moving
    /// node, and a 1 s circuit breaker; a slow moment on a loaded machine only adds misses.
    /// </summary>
    public static void ShortDeadline(CacheSerialOptions options)
    {
        options.DistributedCacheTimeout = TimeSpan.FromSeconds(1);
        options.CircuitBreakerDuration = TimeSpan.FromSeconds(1);
    }

    /// <summary>GetOrCreateAsync calls made by the readers.</summary>
    public long Calls => Volatile.Read(ref _calls);

    public long Misses => Volatile.Read(ref _misses);

    public long WatchedMisses => Volatile.Read(ref _watchedMisses);

    public long Exceptions => Volatile.Read(ref _exceptions);

    public long Wrong => Volatile.Read(ref _wrong);

    /// <summary>The value every key holds.</summary>
    public static string Expected(string key) => "value-of-" + key;

    public void CountWrong() => Interlocked.Increment(ref _wrong);

    /// <summary>Runs <paramref name="call"/> in a loop until stopped, counting what it throws, with a 2 ms pause between calls (a miss is an instant factory: no busy loop).</summary>
    public void StartLoop(Func<Task> call) => _loops.Add(Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await call();
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _exceptions);
                Interlocked.CompareExchange(ref _firstException, ex, null);
            }

            await Task.Delay(2, CancellationToken.None);
        }
    }));

    /// <summary>Waits (bounded) until the readers made <paramref name="calls"/> calls in all.</summary>
    public async Task WaitForCallsAsync(long calls)
    {
        var clock = Stopwatch.StartNew();
        while (Calls < calls)
        {
            Assert.True(clock.Elapsed < Limit, $"the readers made {Calls} of {calls} calls within {Limit.TotalSeconds} s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Stops the loops and waits for their last calls.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    /// <summary>Fails with the first exception a caller saw, or when a caller got another key's value.</summary>
    public void AssertNoExceptionsNorWrongValues()
    {
        if (Volatile.Read(ref _firstException) is { } first)
        {
            Assert.Fail($"{Exceptions} calls threw; the first: {first}");
        }

        Assert.Equal(0, Wrong);
    }

    /// <summary>Reads <paramref name="keys"/> until all hit (bounded), writing back any that miss (a write may have failed during the switch).</summary>
    public static async Task WaitUntilAllHitAsync(ITypedCache cache, IReadOnlyList<string> keys, CacheEntryOptions options)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await cache.GetManyAsync<string>(keys, options, TestContext.Current.CancellationToken);
            var misses = 0;
            for (var i = 0; i < keys.Count; i++)
            {
                if (!results[i].HasValue)
                {
                    misses++;
                    await cache.SetAsync(keys[i], Expected(keys[i]), options, TestContext.Current.CancellationToken);
                }
                else
                {
                    Assert.Equal(Expected(keys[i]), results[i].Value);
                }
            }

            if (misses == 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < Limit, $"{misses} of {keys.Count} keys still miss {Limit.TotalSeconds} s later");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// The store calls that failed, from the cache's StoreFailureDetail log (1005, with the exception and the key), grouped
    /// by exception type and the start of its message ("none" when nothing failed); with <paramref name="watched"/>, split
    /// into failures of those keys and of the others. Calls the open circuit breaker skipped are not failures and not here.
    /// </summary>
    public static string DescribeStoreFailures(CacheHarness harness, IReadOnlySet<string>? watched = null)
    {
        var records = harness.LogRecords(1005);
        if (watched is null)
        {
            return Describe(records);
        }

        var ofWatched = records.Where(r => r.StructuredState?.FirstOrDefault(s => s.Key == "Key").Value is { } key && watched.Contains(key)).ToArray();
        return $"{Describe(ofWatched)} on the watched keys, {Describe(records.Except(ofWatched).ToArray())} on the others";

        static string Describe(IReadOnlyList<FakeLogRecord> failures) => failures.Count == 0
            ? "none"
            : string.Join(", ", failures
                .GroupBy(r => r.Exception is null ? "no exception" : $"{r.Exception.GetType().Name}: {MessageStart(r.Exception.Message)}")
                .OrderByDescending(g => g.Count())
                .Select(g => $"{g.Count()} x {g.Key}"));
    }

    // Up to the first ':' (client messages name the command and key after it), at most 60 characters.
    private static string MessageStart(string message)
    {
        var end = message.IndexOf(':', StringComparison.Ordinal);
        var start = end < 0 ? message : message[..end];
        return start.Length <= 60 ? start : start[..60] + "...";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }
}
