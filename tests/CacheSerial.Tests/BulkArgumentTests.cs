using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;

namespace CacheSerial.Tests;

/// <summary>Caller mistakes in bulk calls throw at the call site, before the store or a factory is called.</summary>
public sealed class BulkArgumentTests : IDisposable
{
    private static readonly Func<IReadOnlyList<string>, CancellationToken, ValueTask<IReadOnlyDictionary<string, int>>> Factory =
        static (keys, _) => new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, _ => 1));

    private readonly CacheHarness _h = new(InMemoryStores.Create());

    public static TheoryData<string> BadKeys => new() { string.Empty, " ", "a\u0001b", "\ud800" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITypedCache Cache => _h.Cache;

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task NullKeysOrEntries_ThrowArgumentNull()
    {
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.GetManyAsync<int>(null!, cancellationToken: Ct))).ParamName);
        Assert.Equal("entries", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.SetManyAsync<int>(null!, cancellationToken: Ct))).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.GetOrCreateManyAsync(null!, Factory, cancellationToken: Ct))).ParamName);
    }

    [Fact]
    public async Task NullKeyInList_ThrowsArgumentNull()
    {
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.GetManyAsync<int>(["a", null!], cancellationToken: Ct))).ParamName);
        Assert.Equal("entries", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.SetManyAsync<int>([new(null!, 1)], cancellationToken: Ct))).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.GetOrCreateManyAsync([null!], Factory, cancellationToken: Ct))).ParamName);
    }

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task InvalidKeyInList_ThrowsArgumentBeforeAnythingIsWritten(string bad)
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.GetManyAsync<int>(["a", bad], cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.SetManyAsync<int>([new("written-first", 1), new(bad, 2)], cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.GetOrCreateManyAsync(["a", bad], Factory, cancellationToken: Ct));

        Assert.False((await Cache.TryGetAsync<int>("written-first", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task NullFactory_ThrowsArgumentNull()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(async () =>
            await Cache.GetOrCreateManyAsync(["a"], (Func<IReadOnlyList<string>, CancellationToken, ValueTask<IReadOnlyDictionary<string, int>>>)null!, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () =>
            await Cache.GetOrCreateManyAsync<int, int>(["a"], 0, null!, cancellationToken: Ct));
    }

    [Fact]
    public async Task InvalidOptions_ThrowArgumentOutOfRange()
    {
        var bad = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(-1) };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Cache.GetManyAsync<int>(["a"], bad, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Cache.SetManyAsync<int>([new("a", 1)], bad, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Cache.GetOrCreateManyAsync(["a"], Factory, bad, Ct));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryReturnsNull_ThrowsInvalidOperation()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await Cache.GetOrCreateManyAsync<int>(["a"], static (_, _) => new ValueTask<IReadOnlyDictionary<string, int>>((IReadOnlyDictionary<string, int>)null!), cancellationToken: Ct));
    }
}
