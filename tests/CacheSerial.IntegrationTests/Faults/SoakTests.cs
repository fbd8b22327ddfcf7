using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// 32 callers, about 20,000 get-or-create and read calls over 200 keys, while Redis is killed and restarted twice: no
/// exception and no wrong value reaches a caller, the breaker opens and ends closed, and entries are hits again at the
/// end. Some keys are used with three value types (same JSON shape, one with schema version 2), so an entry read as
/// the wrong type or under the wrong key would show as a wrong value. The figures go to the test output and to
/// <see cref="FiguresFile"/> next to the test assembly.
/// </summary>
public sealed class SoakTests
{
    public const string FiguresFile = "soak-figures.txt";

    private const int Workers = 32;
    private const int Keys = 200;
    private const int TargetCalls = 20_000;
    private const int FinalCalls = 2_000;
    private const int CallsPerOutage = 1_000;

    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(120); // hang guard for the whole run

    // Short, so entries expire and turn stale during the run (fail-safe keeps them readable as stale).
    private static readonly CacheEntryOptions Options = new()
    {
        Expiration = TimeSpan.FromSeconds(2),
        FailSafe = true,
        FailSafeMaxDuration = TimeSpan.FromMinutes(1),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_RedisKilledAndRestartedTwiceUnderLoad_NoErrorsNoWrongValues()
    {
        await using var rig = await FaultRig.StartAsync();
        var stats = new Stats();
        var clock = Stopwatch.StartNew();

        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(rig.Cache, stats, clock), Ct)).ToArray();
        try
        {
            for (var outage = 1; outage <= 2; outage++)
            {
                await WaitForCallsAsync(stats, outage * TargetCalls / 3);
                var opened = rig.LogCount(1101);
                var closed = rig.LogCount(1102);
                await rig.Redis.KillAsync(Ct);
                await FaultRig.EventuallyAsync(() => Task.FromResult(rig.LogCount(1101) > opened), $"the breaker did not open after kill {outage}");
                await WaitForCallsAsync(stats, stats.Calls + CallsPerOutage);
                await rig.Redis.RestartAsync(Ct);
                await FaultRig.EventuallyAsync(() => Task.FromResult(rig.LogCount(1102) > closed), $"the breaker did not close after restart {outage}");
            }

            stats.StartFinalPhase();
        }
        finally
        {
            stats.StartFinalPhase(); // a failing controller must not leave the workers running
            await Task.WhenAll(workers).WaitAsync(RunLimit, Ct);
        }

        var elapsed = clock.Elapsed;
        var breaker = rig.Breaker;
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:O} calls={stats.Calls} getOrCreate={stats.GetOrCreates} factoryRuns={stats.FactoryRuns} " +
            $"hits={stats.Hits} tryGetHits={stats.TryGetHits} tryGetMisses={stats.TryGetMisses} " +
            $"stale={stats.Stale} finalPhaseCalls={stats.FinalCalls} finalPhaseHits={stats.FinalHits} breakerTransitions={breaker.Transitions} " +
            $"opened1101={rig.LogCount(1101)} closed1102={rig.LogCount(1102)} probeFailed1103={rig.LogCount(1103)} " +
            $"readFailures1001={rig.LogCount(1001)} writeFailures1002={rig.LogCount(1002)} skipped1006={rig.LogCount(1006)} " +
            $"rejected2001={rig.LogCount(2001)} errors={stats.Errors.Count} wrong={stats.Wrong.Count} elapsed={elapsed.TotalSeconds:F1}s");
        TestContext.Current.SendDiagnosticMessage("soak: {0}", summary);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        await File.AppendAllTextAsync(Path.Combine(AppContext.BaseDirectory, FiguresFile), summary + Environment.NewLine, Ct);

        Assert.True(stats.Errors.IsEmpty, "exceptions reached callers: " + string.Join(" | ", stats.Errors.Take(5)));
        Assert.True(stats.Wrong.IsEmpty, "wrong values: " + string.Join(" | ", stats.Wrong.Take(5)));
        Assert.True(stats.Calls >= TargetCalls, $"only {stats.Calls} calls in {elapsed}");
        Assert.True(breaker.Transitions >= 4, $"breaker transitions: {breaker.Transitions}"); // opened and closed per outage
        Assert.False(breaker.IsOpen);
        Assert.True(stats.FinalHits > 0, "no hit after Redis came back");

        // Entries are stored and read back after the last restart.
        for (var n = 1; n <= 9; n++)
        {
            var key = "k" + n.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(Item.For(n), await rig.Cache.GetOrCreateAsync(key, n, static (x, _, _) => new ValueTask<Item>(Item.For(x)), Options, Ct));
            Assert.Equal(Item.For(n), (await rig.Cache.TryGetAsync<Item>(key, Options, Ct)).Value);
        }
    }

    private static async Task WorkAsync(ITypedCache cache, Stats stats, Stopwatch clock)
    {
        while (!stats.Done && clock.Elapsed < RunLimit)
        {
            var n = Random.Shared.Next(Keys);
            var key = "k" + n.ToString(CultureInfo.InvariantCulture);
            var kind = n % 10 == 0 ? Random.Shared.Next(3) : 0; // a tenth of the keys hold three types in turn
            var read = Random.Shared.Next(10) == 0;
            try
            {
                await (kind switch
                {
                    0 => CallAsync(cache, stats, key, n, read, Item.For),
                    1 => CallAsync(cache, stats, key, n, read, OtherItem.For),
                    _ => CallAsync(cache, stats, key, n, read, ItemV2.For),
                });
            }
            catch (Exception ex)
            {
                stats.Errors.Enqueue($"{key}: {ex.GetType().Name}: {ex.Message}");
            }

            stats.CountCall();
            await Task.Delay(10, CancellationToken.None); // paces the run: about 20,000 calls over ten-odd seconds
        }
    }

    private static async Task CallAsync<T>(ITypedCache cache, Stats stats, string key, int n, bool read, Func<int, T> expected)
        where T : notnull
    {
        var want = expected(n);
        if (read)
        {
            var result = await cache.TryGetAsync<T>(key, Options, Ct);
            stats.CountRead(result.HasValue, result.IsStale);
            if (result.HasValue && !want.Equals(result.Value))
            {
                stats.Wrong.Enqueue($"{key} read as {typeof(T).Name}: {result.Value}");
            }

            return;
        }

        var ran = new StrongBox<bool>();
        var value = await cache.GetOrCreateAsync(key, (stats, want, ran), static async (s, _, _) =>
        {
            await Task.Yield();
            s.ran.Value = true;
            s.stats.CountFactoryRun();
            return s.want;
        }, Options, Ct);
        stats.CountGetOrCreate(hit: !ran.Value);
        if (!want.Equals(value))
        {
            stats.Wrong.Enqueue($"{key} got as {typeof(T).Name}: {value}");
        }
    }

    private static async Task WaitForCallsAsync(Stats stats, long calls) =>
        await FaultRig.EventuallyAsync(() => Task.FromResult(stats.Calls >= calls), $"the workers did not reach {calls} calls");

    private sealed class Stats
    {
        private long _calls;
        private long _getOrCreates;
        private long _factoryRuns;
        private long _tryGetHits;
        private long _tryGetMisses;
        private long _stale;
        private long _finalStart = -1;
        private long _hits;
        private long _finalHits;
        private int _final;

        public ConcurrentQueue<string> Errors { get; } = new();

        public ConcurrentQueue<string> Wrong { get; } = new();

        public long Calls => Interlocked.Read(ref _calls);

        public long GetOrCreates => Interlocked.Read(ref _getOrCreates);

        public long FactoryRuns => Interlocked.Read(ref _factoryRuns);

        public long TryGetHits => Interlocked.Read(ref _tryGetHits);

        public long TryGetMisses => Interlocked.Read(ref _tryGetMisses);

        public long Stale => Interlocked.Read(ref _stale);

        public long Hits => Interlocked.Read(ref _hits);

        public long FinalHits => Interlocked.Read(ref _finalHits);

        public long FinalCalls => Volatile.Read(ref _final) == 0 ? 0 : Calls - Interlocked.Read(ref _finalStart);

        /// <summary>The workers stop once the target is reached and the final (healthy) phase has had its calls.</summary>
        public bool Done => Volatile.Read(ref _final) != 0 && Calls >= TargetCalls && FinalCalls >= SoakTests.FinalCalls;

        public void StartFinalPhase()
        {
            if (Interlocked.Exchange(ref _final, 1) == 0)
            {
                Interlocked.Exchange(ref _finalStart, Calls);
            }
        }

        public void CountCall() => Interlocked.Increment(ref _calls);

        public void CountFactoryRun() => Interlocked.Increment(ref _factoryRuns);

        /// <summary>A hit is a call whose own factory did not run (a joiner of another caller's run counts as one).</summary>
        public void CountGetOrCreate(bool hit)
        {
            Interlocked.Increment(ref _getOrCreates);
            CountHit(hit);
        }

        public void CountRead(bool hit, bool stale)
        {
            Interlocked.Increment(ref hit ? ref _tryGetHits : ref _tryGetMisses);
            if (stale)
            {
                Interlocked.Increment(ref _stale);
            }

            CountHit(hit);
        }

        private void CountHit(bool hit)
        {
            if (hit)
            {
                Interlocked.Increment(ref _hits);
                if (Volatile.Read(ref _final) != 0)
                {
                    Interlocked.Increment(ref _finalHits);
                }
            }
        }
    }

    private sealed record Item(int Id, string Payload)
    {
        public static Item For(int n) => new(n, "item-" + n.ToString(CultureInfo.InvariantCulture));
    }

    private sealed record OtherItem(int Id, string Payload)
    {
        public static OtherItem For(int n) => new(n, "other-" + n.ToString(CultureInfo.InvariantCulture));
    }

    [CacheSchemaVersion(2)]
    private sealed record ItemV2(int Id, string Payload)
    {
        public static ItemV2 For(int n) => new(n, "item-v2-" + n.ToString(CultureInfo.InvariantCulture));
    }
}
