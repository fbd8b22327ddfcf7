namespace CacheSerial.TestSupport.Codecs;

public enum Colour
{
    Red = 1,
    Green = 2,
    Blue = 3,
}

[Flags]
public enum Permissions
{
    None = 0,
    Read = 1,
    Write = 2,
    Delete = 4,
}

public sealed record Address(string Street, string City, int Number);

public sealed record Person(string Name, int Age, Address? Home, Colour Favourite, Permissions Permissions);

/// <summary>A mutable class with nested collections, dictionaries and every scalar the suite covers.</summary>
public sealed class Order
{
    public Guid Id { get; set; }

    public DateTimeOffset PlacedAt { get; set; }

    public decimal Total { get; set; }

    public Colour Status { get; set; }

    public string? Note { get; set; }

    public List<OrderLine> Lines { get; set; } = [];

    public int[] Tags { get; set; } = [];

    public Dictionary<string, Address> Addresses { get; set; } = [];

    public Dictionary<string, List<int>> Buckets { get; set; } = [];

    public List<List<string>> Nested { get; set; } = [];
}

public sealed class OrderLine
{
    public string Sku { get; set; } = string.Empty;

    public int Quantity { get; set; }

    public decimal Price { get; set; }

    public double Weight { get; set; }

    public bool Gift { get; set; }

    public long Serial { get; set; }
}

public sealed record CatalogueItem(int Id, string Name, string Description, decimal Price, List<string> Tags);

public sealed class Catalogue
{
    public string Title { get; set; } = string.Empty;

    public List<CatalogueItem> Items { get; set; } = [];
}

public static class CodecSamples
{
    public static Person Person() =>
        new("Ada", 36, new Address("1 Analytical Way", "London", 1), Colour.Green, Permissions.Read | Permissions.Write);

    public static Order Order() => new()
    {
        Id = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
        PlacedAt = new DateTimeOffset(2025, 6, 30, 23, 59, 58, 123, TimeSpan.FromHours(2)).AddTicks(4567),
        Total = 1234.5678m,
        Status = Colour.Blue,
        Note = null,
        Lines =
        [
            new OrderLine { Sku = "A-1", Quantity = 2, Price = 9.99m, Weight = 0.25, Gift = true, Serial = long.MaxValue },
            new OrderLine { Sku = "B-2", Quantity = 1, Price = 1214.5878m, Weight = 12.5, Gift = false, Serial = long.MinValue },
        ],
        Tags = [1, 2, 3, int.MaxValue, int.MinValue],
        Addresses = new Dictionary<string, Address>
        {
            ["home"] = new("1 Main St", "Springfield", 1),
            ["Work"] = new("2 Side St", "Shelbyville", 22),
        },
        Buckets = new Dictionary<string, List<int>> { ["empty"] = [], ["full"] = [1, 1, 2, 3, 5, 8] },
        Nested = [["a", "b"], [], ["ü", "鍵", "\uD83D\uDE00"]],
    };

    /// <summary>About 512 KB of entries whatever the codec (JSON is a little larger, MessagePack a little smaller).</summary>
    public static Catalogue LargeCatalogue()
    {
        var catalogue = new Catalogue { Title = "large" };
        for (var i = 0; i < 2048; i++)
        {
            catalogue.Items.Add(new CatalogueItem(
                i,
                "Item " + i,
                string.Concat(Enumerable.Repeat($"description of item {i}; ", 8)),
                i * 1.25m,
                ["tag-" + (i % 7), "tag-" + (i % 13)]));
        }

        return catalogue;
    }
}
