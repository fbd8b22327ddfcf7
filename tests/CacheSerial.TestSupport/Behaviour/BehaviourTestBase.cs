using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Base of the shared behaviour suites. One subclass per backend (in-memory in the unit tests, real Redis in the
/// integration tests) supplies <see cref="Store"/>; the tests are written once. The suites never assume a fake clock
/// in the store, and never assert how long something took.
/// </summary>
/// <remarks>
/// The suites, each to subclass once per store (override <see cref="Store"/> only):
/// <see cref="TypedCacheBehaviourTests"/> (hits, misses, cached nulls, get-or-create, factory context, remove, flags),
/// <see cref="ExpirationBehaviourTests"/> (relative, absolute, sub-second), <see cref="SlidingExpirationBehaviourTests"/>,
/// <see cref="EnvelopeTamperingBehaviourTests"/>, <see cref="KeyBehaviourTests"/>, <see cref="PayloadLimitBehaviourTests"/>,
/// <see cref="StoreFailureBehaviourTests"/> (through <see cref="Fakes.ChaosDistributedCache"/>),
/// <see cref="LogPrivacyBehaviourTests"/>, <see cref="StampedeBehaviourTests"/>, <see cref="FailSafeBehaviourTests"/>
/// (fail-safe, factory timeouts, eager refresh), <see cref="BulkBehaviourTests"/> (bulk reads, writes and get-or-create),
/// <see cref="AdaptiveCachingBehaviourTests"/> and
/// <see cref="StoreLifetimeBehaviourTests"/> (what the store does with the physical lifetime, read below the envelope).
/// The codec round trips are
/// <see cref="Codecs.CodecRoundTripTests"/> (override <c>Codec</c>, and <c>CreateStore</c> for another store).
/// </remarks>
public abstract class BehaviourTestBase
{
    /// <summary>The store under test; may be shared between tests (each harness has its own key prefix).</summary>
    protected abstract IDistributedCache Store { get; }

    /// <summary>True to run the suite's caches with a memory tier in front of the store (<c>UseMemoryTier</c>).</summary>
    protected virtual bool MemoryTier => false;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected CacheHarness CreateHarness(
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null,
        TimeProvider? timeProvider = null,
        string? prefix = null) => new(Store, configure, WithStore(build), timeProvider, prefix);

    /// <summary>
    /// Gives the suite's caches a store of their own (for example <c>UseStackExchangeRedis</c>); by default they use
    /// <see cref="Store"/> through the <see cref="IDistributedCache"/> adapter. <see cref="Store"/> then stays the raw view
    /// of the same entries (reads and tampering below the cache), and harnesses over a decorator of it still use it.
    /// </summary>
    protected virtual void ConfigureStore(ICacheSerialBuilder builder)
    {
    }

    private Action<ICacheSerialBuilder> WithStore(Action<ICacheSerialBuilder>? build) => b =>
    {
        ConfigureStore(b);
        if (MemoryTier)
        {
            b.UseMemoryTier();
        }

        build?.Invoke(b);
    };

    /// <summary>A harness over <paramref name="store"/> (a decorator of <see cref="Store"/>, for example).</summary>
    protected static CacheHarness CreateHarness(
        IDistributedCache store,
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null,
        string? prefix = null) => new(store, configure, build, null, prefix);

    /// <summary>
    /// Waits (bounded) until <paramref name="key"/> reads as <paramref name="expected"/>. Get-or-create hands the value to
    /// its callers before the store write of a shared run lands, so a read right after an asynchronous factory may
    /// still miss; this asserts the outcome without assuming how long the write takes.
    /// </summary>
    protected static async Task AssertEventuallyStoredAsync<T>(CacheHarness h, string key, T expected)
    {
        ArgumentNullException.ThrowIfNull(h);
        CacheResult<T> result = default;
        for (var i = 0; i < 500; i++)
        {
            result = await h.Cache.TryGetAsync<T>(key, cancellationToken: Ct);
            if (result.HasValue)
            {
                break;
            }

            await Task.Delay(10, Ct);
        }

        Assert.True(result.HasValue, $"'{key}' was never stored");
        Assert.Equal(expected, result.Value);
    }

    /// <summary>The stored bytes of <paramref name="key"/>, waiting (bounded) for a get-or-create's store write to land.</summary>
    protected static async Task<byte[]> StoredBytesAsync(CacheHarness h, string key)
    {
        ArgumentNullException.ThrowIfNull(h);
        for (var i = 0; i < 500; i++)
        {
            if (await h.ReadRawAsync(key, Ct) is { } bytes)
            {
                return bytes;
            }

            await Task.Delay(10, Ct);
        }

        Assert.Fail($"'{key}' was never stored");
        return [];
    }

    /// <summary>
    /// Moves the fake clock on by <paramref name="step"/> until the call completes (bounded): the call's timer may be
    /// registered a moment after the test starts it, so one advance could come too early.
    /// </summary>
    protected static async Task AdvanceUntilCompletedAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, Task call, TimeSpan step)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(call);
        for (var i = 0; i < 1000 && !call.IsCompleted; i++)
        {
            time.Advance(step);
            await Task.WhenAny(call, Task.Delay(10, Ct));
        }

        Assert.True(call.IsCompleted, "the call never completed");
    }

    /// <summary>A factory that counts its runs and returns <paramref name="value"/>.</summary>
    protected static Func<CancellationToken, ValueTask<T>> Counting<T>(Counter runs, T value) =>
        _ =>
        {
            runs.Increment();
            return new ValueTask<T>(value);
        };
}

/// <summary>A thread-safe counter shared with lambdas.</summary>
public sealed class Counter
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public int Increment() => Interlocked.Increment(ref _value);
}
