namespace CacheSerial.Samples.WebApi.Catalogue;

/// <summary>Where products come from when the cache does not have them.</summary>
public interface IProductRepository
{
    /// <summary>How many times the repository was asked: the cost the cache saves.</summary>
    int Loads { get; }

    /// <summary>Loads one product, or <see langword="null"/> when there is none with that id.</summary>
    ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken);

    /// <summary>Loads the whole catalogue.</summary>
    ValueTask<IReadOnlyList<Product>> ListAsync(CancellationToken cancellationToken);
}
