System.Console.WriteLine("placeholder until the sample lands");
