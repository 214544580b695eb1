// Metrics of the daemon in the shape of Prometheus' data model, independent of any format or
// bus: families (one name, one type, one help text) of samples (a sample's full name, such as
// a histogram's NAME_bucket, its labels and its value). Manager::metrics() makes them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ntms {

struct MetricSample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct MetricFamily {
    std::string name;
    std::string type; // "counter", "gauge" or "histogram"
    std::string help;
    std::vector<MetricSample> samples;
};

} // namespace ntms
