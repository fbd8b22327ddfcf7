namespace CacheSerial.Samples.ConsoleApp;

public sealed record Product(int Id, string Name, decimal Price, string[] Tags, DateTimeOffset UpdatedAt);

public sealed record CataloguePage(int Page, List<Product> Items);

/// <summary>A slow "database": every load is counted, so the sample can show when the cache ran the factory.</summary>
public sealed class ProductSource
{
    private int _loads;

    public int Loads => Volatile.Read(ref _loads);

    public async ValueTask<Product> LoadAsync(int id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        await Task.Delay(50, cancellationToken);
        return Make(id);
    }

    public static Product Make(int id) =>
        new(id, $"Product {id}", 9.99m + id, ["catalogue", "sample", id % 2 == 0 ? "even" : "odd"], new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(id));

    public static CataloguePage MakePage(int page, int size) =>
        new(page, Enumerable.Range(((page - 1) * size) + 1, size).Select(Make).ToList());
}
