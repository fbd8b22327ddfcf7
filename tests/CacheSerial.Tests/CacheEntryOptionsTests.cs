using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;

namespace CacheSerial.Tests;

/// <summary>Per-call options are validated at the call site, by every method that takes them.</summary>
public sealed class CacheEntryOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> InvalidOptions => new()
    {
        "expiration-zero",
        "expiration-negative",
        "sliding-zero",
        "sliding-negative",
        "unknown-flags",
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task EveryMethodTakingOptions_InvalidOptions_ThrowsArgumentOutOfRange(string kind)
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        var options = Create(kind);
        var runs = 0;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.SetAsync("k", 1, options, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.TryGetAsync<int>("k", options, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.GetAsync<int>("k", options, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(++runs), options, Ct));

        Assert.Equal(0, runs);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task SetAsyncExpirationOverload_NonPositive_ThrowsArgumentOutOfRange()
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.SetAsync("k", 1, TimeSpan.Zero, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.SetAsync("k", 1, TimeSpan.FromSeconds(-1), Ct));
    }

    [Fact]
    public async Task Calls_InvalidOptions_ParamNameIsTheCallersOptions()
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        var bad = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(-1) };

        var set = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.SetAsync("k", 1, bad, Ct));
        var get = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.TryGetAsync<int>("k", bad, Ct));
        var create = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await h.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(1), bad, Ct));

        Assert.All([set, get, create], ex => Assert.Equal("options", ex.ParamName));
    }

    [Fact]
    public async Task ExpirationOverloads_NonPositive_ParamNameIsExpiration()
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        var set = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Cache.SetAsync("k", 1, TimeSpan.Zero, Ct));
        var setMany = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await h.Cache.SetManyAsync(new Dictionary<string, int> { ["k"] = 1 }, TimeSpan.FromSeconds(-1), Ct));

        Assert.Equal("expiration", set.ParamName);
        Assert.Equal("expiration", setMany.ParamName);
    }

    [Fact]
    public void Validate_Message_NamesTheMember()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Create("expiration-zero").Validate("options"));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains("Expiration", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AbsoluteInThePast_IsAllowed()
    {
        // Not a caller mistake: the entry is simply not stored.
        new CacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UnixEpoch }.Validate("options");
    }

    [Fact]
    public void Options_AreImmutableRecordsWithValueEquality()
    {
        var a = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1), Flags = CacheEntryFlags.SkipRead };
        var b = a with { };

        Assert.Equal(a, b);
        Assert.NotEqual(a, a with { Flags = CacheEntryFlags.SkipWrite });
    }

    private static CacheEntryOptions Create(string kind) => kind switch
    {
        "expiration-zero" => new CacheEntryOptions { Expiration = TimeSpan.Zero },
        "expiration-negative" => new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(-1) },
        "sliding-zero" => new CacheEntryOptions { SlidingExpiration = TimeSpan.Zero },
        "sliding-negative" => new CacheEntryOptions { SlidingExpiration = TimeSpan.FromDays(-1) },
        "unknown-flags" => new CacheEntryOptions { Flags = (CacheEntryFlags)32 },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
