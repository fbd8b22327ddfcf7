using CacheSerial.TestSupport;
using CacheSerial.Internal;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Envelopes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.DependencyInjection;

public sealed class AddKeyedCacheSerialTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeyedCaches_OverOneStore_HaveOwnPrefixAndCodecAndDoNotSeeEachOther()
    {
        var store = InMemoryStores.Create();
        var services = new ServiceCollection();
        services.AddSingleton(store);
        var ordersBuilder = services.AddKeyedCacheSerial("orders", o => o.KeyPrefix = "orders").UseMessagePack();
        var usersBuilder = services.AddKeyedCacheSerial("users", o => o.KeyPrefix = "users");
        await using var provider = services.BuildServiceProvider();
        var orders = (DefaultTypedCache)provider.GetRequiredKeyedService<ITypedCache>("orders");
        var users = (DefaultTypedCache)provider.GetRequiredKeyedService<ITypedCache>("users");

        await orders.SetAsync("k", new Sample("order", 1), cancellationToken: Ct);
        await users.SetAsync("k", new Sample("user", 2), cancellationToken: Ct);

        Assert.Equal("orders", ordersBuilder.Name);
        Assert.Equal("users", usersBuilder.Name);
        Assert.Equal("orders", orders.Name);
        Assert.NotSame(orders, users);
        Assert.NotEqual(orders.StoreKeyOf("k"), users.StoreKeyOf("k"));
        Assert.Equal("msgpack", EnvelopeBytes.Parse((await store.GetAsync(orders.StoreKeyOf("k"), Ct))!).CodecName);
        Assert.Equal("stj", EnvelopeBytes.Parse((await store.GetAsync(users.StoreKeyOf("k"), Ct))!).CodecName);
        Assert.Equal(new Sample("order", 1), await orders.GetAsync<Sample>("k", cancellationToken: Ct));
        Assert.Equal(new Sample("user", 2), await users.GetAsync<Sample>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task KeyedCaches_WithSamePrefixButOtherCodec_TreatEachOthersEntriesAsMisses()
    {
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddKeyedCacheSerial("json", o => o.KeyPrefix = "shared");
        services.AddKeyedCacheSerial("binary", o => o.KeyPrefix = "shared").UseMessagePack();
        await using var provider = services.BuildServiceProvider();
        var json = provider.GetRequiredKeyedService<ITypedCache>("json");
        var binary = provider.GetRequiredKeyedService<ITypedCache>("binary");

        await json.SetAsync("k", 1, cancellationToken: Ct);

        Assert.False((await binary.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task KeyedCache_OptionsAreIsolatedFromDefaultCache()
    {
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddCacheSerial(o => o.MaximumPayloadBytes = 10);
        services.AddKeyedCacheSerial("big", o => o.KeyPrefix = "big");
        await using var provider = services.BuildServiceProvider();
        var small = provider.GetRequiredService<ITypedCache>();
        var big = provider.GetRequiredKeyedService<ITypedCache>("big");
        var value = new string('x', 100);

        await small.SetAsync("k", value, cancellationToken: Ct);
        await big.SetAsync("k", value, cancellationToken: Ct);

        Assert.False((await small.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
        Assert.Equal(value, await big.GetAsync<string>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task KeyedCache_PrefersDistributedCacheRegisteredUnderSameKey()
    {
        var defaultStore = InMemoryStores.Create();
        var ordersStore = InMemoryStores.Create();
        var services = new ServiceCollection();
        services.AddSingleton(defaultStore);
        services.AddKeyedSingleton("orders", ordersStore);
        services.AddKeyedCacheSerial("orders");
        services.AddKeyedCacheSerial("users");
        services.AddCacheSerial();
        await using var provider = services.BuildServiceProvider();
        var orders = (DefaultTypedCache)provider.GetRequiredKeyedService<ITypedCache>("orders");
        var users = (DefaultTypedCache)provider.GetRequiredKeyedService<ITypedCache>("users");
        var fallback = (DefaultTypedCache)provider.GetRequiredService<ITypedCache>();

        await orders.SetAsync("o", 1, cancellationToken: Ct);
        await users.SetAsync("u", 2, cancellationToken: Ct);
        await fallback.SetAsync("d", 3, cancellationToken: Ct);

        Assert.NotNull(await ordersStore.GetAsync(orders.StoreKeyOf("o"), Ct));
        Assert.Null(await defaultStore.GetAsync(orders.StoreKeyOf("o"), Ct));
        Assert.NotNull(await defaultStore.GetAsync(users.StoreKeyOf("u"), Ct));
        Assert.Null(await ordersStore.GetAsync(users.StoreKeyOf("u"), Ct));
        Assert.NotNull(await defaultStore.GetAsync(fallback.StoreKeyOf("d"), Ct));
    }

    [Fact]
    public async Task KeyedCache_ResolvesAsSingletonPerKey()
    {
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddKeyedCacheSerial("a");
        services.AddKeyedCacheSerial("b");
        await using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredKeyedService<ITypedCache>("a"), provider.GetRequiredKeyedService<ITypedCache>("a"));
        Assert.NotSame(provider.GetRequiredKeyedService<ITypedCache>("a"), provider.GetRequiredKeyedService<ITypedCache>("b"));
        Assert.Null(provider.GetService<ITypedCache>());
    }

    [Fact]
    public void AddKeyedCacheSerial_NameDefault_IsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddKeyedCacheSerial("default"));

        Assert.Equal("name", ex.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void AddKeyedCacheSerial_EmptyName_IsRefused(string name)
    {
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddKeyedCacheSerial(name));
    }

    [Fact]
    public void AddKeyedCacheSerial_NullName_IsRefused()
    {
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddKeyedCacheSerial(null!));
    }

    [Fact]
    public async Task KeyedCache_RegisteredStoreUnderOtherKeyOnly_FallsBackToDefaultStore()
    {
        var defaultStore = InMemoryStores.Create();
        var services = new ServiceCollection();
        services.AddSingleton(defaultStore);
        services.AddKeyedSingleton("elsewhere", InMemoryStores.Create());
        services.AddKeyedCacheSerial("orders");
        await using var provider = services.BuildServiceProvider();
        var orders = (DefaultTypedCache)provider.GetRequiredKeyedService<ITypedCache>("orders");

        await orders.SetAsync("o", 1, cancellationToken: Ct);

        Assert.NotNull(await defaultStore.GetAsync(orders.StoreKeyOf("o"), Ct));
    }

    [Fact]
    public void KeyedCache_StoreOnlyUnderItsKey_IsEnough()
    {
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IDistributedCache>("orders", InMemoryStores.Create());
        services.AddKeyedCacheSerial("orders");
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredKeyedService<ITypedCache>("orders"));
    }
}
