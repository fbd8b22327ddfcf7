namespace CacheSerial.Samples.WebApi.Catalogue;

/// <summary>A fixed catalogue behind an artificial delay, standing in for a database.</summary>
public sealed class InMemoryProductRepository : IProductRepository
{
    /// <summary>How long every load takes: slow enough that a cache hit is visibly faster.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(200);

    private static readonly Product[] Products =
    [
        new(1, "Espresso cup", "Kitchen", 7.50m),
        new(2, "Cast iron pan", "Kitchen", 39.00m),
        new(3, "Reading lamp", "Living", 54.90m),
        new(4, "Wool blanket", "Living", 79.00m),
        new(5, "Garden hose", "Garden", 24.95m),
    ];

    private int _loads;

    public int Loads => Volatile.Read(ref _loads);

    public async ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        await Task.Delay(Delay, cancellationToken);
        return Array.Find(Products, p => p.Id == id);
    }

    public async ValueTask<IReadOnlyList<Product>> ListAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        await Task.Delay(Delay, cancellationToken);
        return Products;
    }
}
