// Manager.Metrics(): the domain's metric families as D-Bus structures, on the bus thread (the
// manager reads them from memory).
#include "manager_adaptor.hpp"

namespace ntms::dbus {

std::vector<MetricFamilyStruct> ManagerAdaptor::Metrics() {
    return guarded([&] {
        std::vector<MetricFamilyStruct> out;
        for (auto& f : ctx_.manager.metrics()) {
            std::vector<MetricSampleStruct> samples;
            samples.reserve(f.samples.size());
            for (auto& s : f.samples)
                samples.emplace_back(std::move(s.name), std::move(s.labels), s.value);
            out.emplace_back(std::move(f.name), std::move(f.type), std::move(f.help),
                             std::move(samples));
        }
        return out;
    });
}

} // namespace ntms::dbus
