using CacheSerial.Internal;

namespace CacheSerial.Tests.Internal;

/// <summary>The lifetime rules: merging with the defaults, the factory's choices, and the logical and physical expiry.</summary>
public sealed class EntryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly CacheEntryOptions Defaults = new()
    {
        Expiration = TimeSpan.FromMinutes(5),
        SlidingExpiration = TimeSpan.FromMinutes(1),
        Flags = CacheEntryFlags.SkipWrite,
    };

    [Fact]
    public void Resolve_NoCallOptions_TakesDefaults()
    {
        var policy = EntryPolicy.Create(null, Defaults);

        Assert.Equal(TimeSpan.FromMinutes(5), policy.Expiration);
        Assert.Null(policy.AbsoluteExpiration);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.SlidingExpiration);
        Assert.Equal(CacheEntryFlags.SkipWrite, policy.Flags);
        Assert.True(policy.SkipWrite);
        Assert.False(policy.SkipRead);
    }

    [Fact]
    public void Resolve_CallWithoutLifetime_InheritsWholeLifetimeTrio()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Flags = CacheEntryFlags.SkipRead }, Defaults);

        Assert.Equal(TimeSpan.FromMinutes(5), policy.Expiration);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.SlidingExpiration);
        Assert.Equal(CacheEntryFlags.SkipRead, policy.Flags);
    }

    [Fact]
    public void Resolve_CallSetsOnlyExpiration_InheritsNoSliding()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(3) }, Defaults);

        Assert.Equal(TimeSpan.FromSeconds(3), policy.Expiration);
        Assert.Null(policy.SlidingExpiration);
        Assert.Null(policy.AbsoluteExpiration);
    }

    [Fact]
    public void Resolve_CallSetsOnlyAbsolute_InheritsNeitherExpirationNorSliding()
    {
        var at = Now.AddHours(1);

        var policy = EntryPolicy.Create(new CacheEntryOptions { AbsoluteExpiration = at }, Defaults);

        Assert.Null(policy.Expiration);
        Assert.Null(policy.SlidingExpiration);
        Assert.Equal(at, policy.AbsoluteExpiration);
    }

    [Fact]
    public void Resolve_CallSetsOnlySliding_InheritsNoExpiration()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(9) }, Defaults);

        Assert.Null(policy.Expiration);
        Assert.Equal(TimeSpan.FromSeconds(9), policy.SlidingExpiration);
    }

    [Fact]
    public void Resolve_CallWithoutFlags_InheritsDefaultFlags()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) }, Defaults);

        Assert.Equal(CacheEntryFlags.SkipWrite, policy.Flags);
    }

    [Fact]
    public void Resolve_NoFlagsAnywhere_IsNone()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions(), new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) });

        Assert.Equal(CacheEntryFlags.None, policy.Flags);
    }

    public static TheoryData<CacheEntryOptions> InvalidCallOptions => new()
    {
        new CacheEntryOptions { Expiration = TimeSpan.Zero },
        new CacheEntryOptions { Expiration = TimeSpan.FromTicks(-1) },
        new CacheEntryOptions { SlidingExpiration = TimeSpan.Zero },
        new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(-5) },
        new CacheEntryOptions { Flags = (CacheEntryFlags)32 },
        new CacheEntryOptions { Jitter = TimeSpan.FromTicks(-1) },
        new CacheEntryOptions { FailSafeMaxDuration = TimeSpan.Zero },
        new CacheEntryOptions { FailSafeThrottleDuration = TimeSpan.Zero },
        new CacheEntryOptions { FactorySoftTimeout = TimeSpan.Zero },
        new CacheEntryOptions { FactoryHardTimeout = TimeSpan.FromSeconds(-1) },
        new CacheEntryOptions { FactorySoftTimeout = TimeSpan.FromSeconds(2), FactoryHardTimeout = TimeSpan.FromSeconds(2) },
        new CacheEntryOptions { EagerRefreshThreshold = 0 },
        new CacheEntryOptions { EagerRefreshThreshold = 1 },
        new CacheEntryOptions { EagerRefreshThreshold = double.NaN },
        new CacheEntryOptions { NegativeExpiration = TimeSpan.Zero },
    };

    [Theory]
    [MemberData(nameof(InvalidCallOptions), DisableDiscoveryEnumeration = true)]
    public void Resolve_InvalidCallOptions_ThrowsArgumentOutOfRange(CacheEntryOptions options)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EntryPolicy.Create(options, Defaults));
    }

    [Fact]
    public void With_FactoryChangedLifetime_TakesFactoryTrioAndKeepsFlags()
    {
        var policy = EntryPolicy.Create(null, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        context.Expiration = TimeSpan.FromSeconds(7);
        context.SlidingExpiration = null;

        var changed = policy.With(context, startedAtMs: 0);

        Assert.Equal(TimeSpan.FromSeconds(7), changed.Expiration);
        Assert.Null(changed.SlidingExpiration);
        Assert.Equal(CacheEntryFlags.SkipWrite, changed.Flags);
    }

    [Fact]
    public void With_FactoryClearedEveryLifetimeMember_KeepsPolicyLifetime()
    {
        var policy = EntryPolicy.Create(null, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        context.Expiration = null;
        context.SlidingExpiration = null;

        var changed = policy.With(context, startedAtMs: 0);

        Assert.Equal(TimeSpan.FromMinutes(5), changed.Expiration);
        Assert.Equal(TimeSpan.FromMinutes(1), changed.SlidingExpiration);
    }

    [Fact]
    public void CreateContext_CarriesKeyAndLifetime()
    {
        var at = Now.AddDays(1);
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(2), AbsoluteExpiration = at }, Defaults);

        var context = policy.CreateContext("the-key", hasStaleValue: false, staleValue: null);

        Assert.Equal("the-key", context.Key);
        Assert.Equal(TimeSpan.FromSeconds(2), context.Expiration);
        Assert.Equal(at, context.AbsoluteExpiration);
        Assert.Null(context.SlidingExpiration);
        Assert.False(context.DoNotCache);
    }

    [Fact]
    public void TryGetLifetime_Relative_ExactLogicalExpiryAndCeilingPhysical()
    {
        var policy = Policy(expiration: TimeSpan.FromMilliseconds(1500));

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(Now.ToUnixTimeMilliseconds() + 1500, expiresAtMs);
        Assert.Equal(TimeSpan.FromSeconds(2), store.AbsoluteExpirationRelativeToNow);
        Assert.Null(store.AbsoluteExpiration);
        Assert.Null(store.SlidingExpiration);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(300, 1)]
    [InlineData(999, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(59_500, 60)]
    [InlineData(60_000, 60)]
    [InlineData(86_400_001, 86_401)]
    public void TryGetLifetime_PhysicalTtl_IsWholeSecondsRoundedUpAndAtLeastOne(int milliseconds, int seconds)
    {
        var policy = Policy(expiration: TimeSpan.FromMilliseconds(milliseconds));

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(TimeSpan.FromSeconds(seconds), store.AbsoluteExpirationRelativeToNow);
        Assert.Equal(Now.ToUnixTimeMilliseconds() + milliseconds, expiresAtMs);
    }

    [Fact]
    public void TryGetLifetime_SubMillisecondExpiration_StillWhole1SecondPhysical()
    {
        var policy = Policy(expiration: TimeSpan.FromTicks(1));

        Assert.True(policy.TryGetLifetime(Now, out _, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);
        Assert.Equal(TimeSpan.FromSeconds(1), store.AbsoluteExpirationRelativeToNow);
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(1000, 1)]
    [InlineData(1200, 2)]
    [InlineData(30_000, 30)]
    public void TryGetLifetime_Sliding_IsWholeSecondsRoundedUpAndNoLogicalExpiry(int milliseconds, int seconds)
    {
        var policy = Policy(sliding: TimeSpan.FromMilliseconds(milliseconds));

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(0, expiresAtMs);
        Assert.Equal(TimeSpan.FromSeconds(seconds), store.SlidingExpiration);
        Assert.Null(store.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public void TryGetLifetime_Absolute_ExactLogicalAndRemainingPhysical()
    {
        var at = Now.AddMilliseconds(2500);
        var policy = Policy(absolute: at);

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(at.ToUnixTimeMilliseconds(), expiresAtMs);
        Assert.Equal(TimeSpan.FromSeconds(3), store.AbsoluteExpirationRelativeToNow);
    }

    [Theory]
    [InlineData(10, 5, 5)]
    [InlineData(5, 10, 5)]
    [InlineData(7, 7, 7)]
    public void TryGetLifetime_RelativeAndAbsolute_EarlierWins(int relativeSeconds, int absoluteSeconds, int expectedSeconds)
    {
        var policy = Policy(expiration: TimeSpan.FromSeconds(relativeSeconds), absolute: Now.AddSeconds(absoluteSeconds));

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(Now.AddSeconds(expectedSeconds).ToUnixTimeMilliseconds(), expiresAtMs);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), store.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public void TryGetLifetime_SlidingWithCap_HasBoth()
    {
        var policy = Policy(expiration: TimeSpan.FromMinutes(10), sliding: TimeSpan.FromSeconds(30));

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(Now.AddMinutes(10).ToUnixTimeMilliseconds(), expiresAtMs);
        Assert.Equal(TimeSpan.FromMinutes(10), store.AbsoluteExpirationRelativeToNow);
        Assert.Equal(TimeSpan.FromSeconds(30), store.SlidingExpiration);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-60_000)]
    public void TryGetLifetime_AbsoluteNotInFuture_ReturnsFalse(int offsetMilliseconds)
    {
        var policy = Policy(absolute: Now.AddMilliseconds(offsetMilliseconds));

        Assert.False(policy.TryGetLifetime(Now, out _, out _));
    }

    [Fact]
    public void TryGetLifetime_AbsoluteOneMillisecondAhead_IsStoredForOneSecond()
    {
        var policy = Policy(absolute: Now.AddMilliseconds(1));

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);
        Assert.Equal(Now.ToUnixTimeMilliseconds() + 1, expiresAtMs);
        Assert.Equal(TimeSpan.FromSeconds(1), store.AbsoluteExpirationRelativeToNow);
    }

    private static EntryPolicy Policy(TimeSpan? expiration = null, DateTimeOffset? absolute = null, TimeSpan? sliding = null) =>
        EntryPolicy.Create(
            new CacheEntryOptions { Expiration = expiration, AbsoluteExpiration = absolute, SlidingExpiration = sliding },
            new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) });

    [Fact]
    public void Resolve_ResilienceMembers_InheritedOneByOne()
    {
        var defaults = new CacheEntryOptions
        {
            Expiration = TimeSpan.FromMinutes(1),
            FailSafe = true,
            FailSafeMaxDuration = TimeSpan.FromHours(2),
            FactoryHardTimeout = TimeSpan.FromSeconds(3),
            Jitter = TimeSpan.FromSeconds(4),
        };

        var policy = EntryPolicy.Create(new CacheEntryOptions { FailSafeMaxDuration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.9 }, defaults);

        Assert.True(policy.FailSafe);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.FailSafeMaxDuration);
        Assert.Equal(CacheEntryOptions.DefaultFailSafeThrottleDuration, policy.FailSafeThrottleDuration);
        Assert.Equal(TimeSpan.FromSeconds(3), policy.FactoryHardTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), policy.Jitter);
        Assert.Equal(0.9, policy.EagerRefreshThreshold);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.Expiration);
    }

    [Fact]
    public void Resolve_InheritedSoftTimeoutNotBelowCallHardTimeout_IsDropped()
    {
        var defaults = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), FactorySoftTimeout = TimeSpan.FromSeconds(5) };

        var policy = EntryPolicy.Create(new CacheEntryOptions { FactoryHardTimeout = TimeSpan.FromSeconds(2) }, defaults);

        Assert.Null(policy.FactorySoftTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), policy.FactoryHardTimeout);
    }

    [Fact]
    public void Resolver_SameOptionsInstance_ResolvedOnce()
    {
        var resolver = new EntryPolicyResolver(Defaults);
        var call = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(9) };

        Assert.Same(resolver.Resolve(call), resolver.Resolve(call));
        Assert.Same(resolver.Default, resolver.Resolve(null));
        Assert.NotSame(resolver.Resolve(call), resolver.Resolve(call with { }));
    }

    [Fact]
    public void TryGetLifetime_FailSafe_StoreKeepsEntryForMaxDurationPastLogicalExpiry()
    {
        var policy = EntryPolicy.Create(
            new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(90), FailSafe = true, FailSafeMaxDuration = TimeSpan.FromMinutes(10) }, Defaults);

        Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(Now.ToUnixTimeMilliseconds() + 90_000, expiresAtMs);
        Assert.Equal(TimeSpan.FromSeconds(690), store.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public void TryGetLifetime_Jitter_LengthensLifetimeWithinBoundAndVaries()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), Jitter = TimeSpan.FromSeconds(30) }, Defaults);
        var seen = new HashSet<long>();

        for (var i = 0; i < 200; i++)
        {
            Assert.True(policy.TryGetLifetime(Now, out var expiresAtMs, out var store));
            var lifetime = expiresAtMs - Now.ToUnixTimeMilliseconds();
            Assert.InRange(lifetime, 60_000, 90_000);
            Assert.Equal(lifetime, (long)store.TimeToLive!.Value.TotalMilliseconds); // the physical lifetime is the logical one, to the millisecond
            seen.Add(expiresAtMs);
        }

        Assert.True(seen.Count > 10, $"only {seen.Count} distinct expiries in 200 writes");
    }

    [Fact]
    public void With_NegativeResult_TakesNegativeExpiration()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromHours(1), NegativeExpiration = TimeSpan.FromSeconds(20) }, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        context.IsNegative = true;

        var final = policy.With(context, startedAtMs: 0);

        Assert.True(final.IsNegative);
        Assert.Equal(TimeSpan.FromSeconds(20), final.Expiration);
        Assert.Null(final.SlidingExpiration);
    }

    [Fact]
    public void With_FactoryTurnsFailSafeOff_StoreKeepsOnlyLogicalLifetime()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(30), FailSafe = true }, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        context.FailSafe = false;

        Assert.True(policy.With(context, startedAtMs: 0).TryGetLifetime(Now, out _, out var lifetime));
        var store = DistributedCacheStore.ToEntryOptions(lifetime);

        Assert.Equal(TimeSpan.FromSeconds(30), store.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public void TryGetLifetime_TaggedFactoryResult_CapsStoreLifetimeFromFactoryStart()
    {
        // A marker lives TagMarkerLifetime from its removal; a result dated before that removal must be gone by then.
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromDays(30), Tags = ["t"] }, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        var started = Now.AddSeconds(-10).ToUnixTimeMilliseconds();

        Assert.True(policy.With(context, started).TryGetLifetime(Now, allowFailSafe: true, TimeSpan.FromMinutes(1), out var expiresAtMs, out var store));

        Assert.Equal(TimeSpan.FromSeconds(50), store.TimeToLive);
        Assert.Equal(Now.AddDays(30).ToUnixTimeMilliseconds(), expiresAtMs); // the logical expiry still runs from the write
    }

    [Fact]
    public void TryGetLifetime_TaggedFactoryResultOlderThanMarkerLifetime_IsNotWritten()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromDays(30), Tags = ["t"] }, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        var started = Now.AddMinutes(-2).ToUnixTimeMilliseconds();

        Assert.False(policy.With(context, started).TryGetLifetime(Now, allowFailSafe: true, TimeSpan.FromMinutes(1), out _, out _));
    }

    [Fact]
    public void TryGetLifetime_UntaggedFactoryResult_IsNotCapped()
    {
        var policy = EntryPolicy.Create(new CacheEntryOptions { Expiration = TimeSpan.FromDays(30) }, Defaults);
        var context = policy.CreateContext("k", hasStaleValue: false, staleValue: null);
        var started = Now.AddMinutes(-2).ToUnixTimeMilliseconds();

        Assert.True(policy.With(context, started).TryGetLifetime(Now, allowFailSafe: true, TimeSpan.FromMinutes(1), out _, out var store));

        Assert.Equal(TimeSpan.FromDays(30), store.TimeToLive);
    }
}
